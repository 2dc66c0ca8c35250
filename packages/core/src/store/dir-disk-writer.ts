import { open, type FileHandle } from 'node:fs/promises';
import { BlockMap } from './block-map.js';
import { inParallel } from './in-parallel.js';
import { blockCrcs, HASH_BYTES, ZERO_ENTRY } from './block-hash.js';
import type { StoreLayout } from './store-layout.js';
import type { DiskWriter } from './target-store.js';
import { UndoJournalWriter } from './undo-journal.js';

/**
 * Writes one disk's blocks into its replica for a run: old content to the undo journal
 * (fsynced) first, then the new data and checksums in place. A disk new to the store needs
 * no undo: rolling back its first run removes it.
 */
export class DirDiskWriter implements DiskWriter {
  private constructor(
    private readonly replica: FileHandle,
    private readonly map: BlockMap,
    private readonly crcs: BlockMap,
    private readonly journal: UndoJournalWriter | undefined,
    readonly blockSize: number,
    readonly hasReplica: boolean,
    readonly previousSize: number,
    private readonly sizeBytes: number,
  ) {}

  static async open(layout: StoreLayout, key: string, sizeBytes: number, blockSize: number, hasReplica: boolean, oldSize: number): Promise<DirDiskWriter> {
    const replica = await open(layout.replica(key), 'a+').then(async (f) => {
      await f.close();
      return open(layout.replica(key), 'r+');
    });
    const current = (await replica.stat()).size;
    const blocks = Math.ceil(Math.max(current, sizeBytes) / blockSize);
    const map = await BlockMap.open(layout.map(key), blocks);
    const crcs = await BlockMap.open(layout.crc(key), blocks, 4);
    const journal = hasReplica ? await UndoJournalWriter.open(layout.stagedUndo(key), blockSize, oldSize) : undefined;
    const writer = new DirDiskWriter(replica, map, crcs, journal, blockSize, hasReplica, oldSize, sizeBytes);
    if (sizeBytes < current) await writer.#shrink(current);
    else if (sizeBytes > current) await replica.truncate(sizeBytes);
    await map.resize(Math.ceil(sizeBytes / blockSize));
    await crcs.resize(Math.ceil(sizeBytes / blockSize));
    return writer;
  }

  /** A shrinking disk loses its tail: journal the non-zero blocks being cut off first. */
  async #shrink(current: number): Promise<void> {
    const first = Math.ceil(this.sizeBytes / this.blockSize);
    const last = Math.ceil(current / this.blockSize);
    const hashes = await this.map.read(first, last - first);
    for (let i = first; i < last; i++) {
      const h = hashes.subarray((i - first) * HASH_BYTES, (i - first + 1) * HASH_BYTES);
      if (h.equals(ZERO_ENTRY)) continue;
      const data = Buffer.alloc(this.blockSize);
      await this.replica.read(data, 0, this.blockSize, i * this.blockSize);
      this.journal?.append(i * this.blockSize, Buffer.from(h), data);
    }
    await this.journal?.flush();
    await this.replica.truncate(this.sizeBytes);
  }

  readMap(firstBlock: number, count: number): Promise<Buffer> {
    return this.map.read(firstBlock, count);
  }

  async writeBlocks(blocks: Array<{ index: number; data: Buffer; hash: Buffer }>): Promise<{ undoBytes: number }> {
    if (blocks.length === 0) return { undoBytes: 0 };
    blocks.sort((a, b) => a.index - b.index);
    const runs = contiguousRuns(blocks, this.blockSize);
    let undoBytes = 0;
    if (this.journal) {
      // Old data and checksums of every run at once (a sparse delta is thousands of runs),
      // appended to the journal in order afterwards.
      const olds = new Array<{ first: number; count: number; old: Buffer; oldHashes: Buffer }>(runs.length);
      await inParallel(
        runs.map((run, r) => async () => {
          const first = run[0]!.index;
          const count = run.reduce((n, b) => n + Math.ceil(b.data.length / this.blockSize), 0);
          const old = Buffer.alloc(count * this.blockSize);
          const [, oldHashes] = await Promise.all([this.replica.read(old, 0, old.length, first * this.blockSize), this.map.read(first, count)]);
          olds[r] = { first, count, old, oldHashes };
        }),
      );
      for (const { first, count, old, oldHashes } of olds) {
        for (let i = 0; i < count; i++) {
          this.journal.append((first + i) * this.blockSize, oldHashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES), old.subarray(i * this.blockSize, (i + 1) * this.blockSize));
        }
      }
      undoBytes = await this.journal.flush();
    }
    // Data and CRCs of all runs, then the SHA-256 map: it is what a resumed run trusts to
    // skip a block (and a resume re-derives the maps of every journaled block anyway, see
    // resume-repair.ts, because writes are not ordered on disk).
    await inParallel(
      runs.map((run) => async () => {
        const first = run[0]!.index;
        const data = run.length === 1 ? run[0]!.data : Buffer.concat(run.map((b) => b.data));
        await Promise.all([this.replica.write(data, 0, data.length, first * this.blockSize), this.crcs.write(first, blockCrcs(data, this.blockSize))]);
      }),
    );
    await inParallel(runs.map((run) => () => this.map.write(run[0]!.index, run.length === 1 ? run[0]!.hash : Buffer.concat(run.map((b) => b.hash)))));
    return { undoBytes };
  }

  async finish(): Promise<string> {
    await this.replica.sync();
    await this.map.sync();
    await this.crcs.sync();
    return this.map.root(this.sizeBytes);
  }

  #closed = false;

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.journal?.close();
    await this.replica.close().catch(() => {});
    await this.map.close().catch(() => {});
    await this.crcs.close().catch(() => {});
  }
}

/** Groups items (each one or more whole blocks from `index`) that follow each other on disk. */
function contiguousRuns<T extends { index: number; data: Buffer }>(sorted: T[], blockSize: number): T[][] {
  const runs: T[][] = [];
  for (const b of sorted) {
    const run = runs.at(-1);
    const last = run?.at(-1);
    if (run && last && last.index + Math.ceil(last.data.length / blockSize) === b.index) run.push(b);
    else runs.push([b]);
  }
  return runs;
}
