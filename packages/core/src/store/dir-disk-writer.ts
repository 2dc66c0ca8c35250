import { open, statfs, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DrkitError } from '@drkit/spec';
import { BlockMap } from './block-map.js';
import { inParallel } from './in-parallel.js';
import { blockCrcs, HASH_BYTES, ZERO_ENTRY } from './block-hash.js';
import type { StoreLayout } from './store-layout.js';
import type { DiskWriter } from './target-store.js';
import { UndoJournalWriter } from './undo-journal.js';
import { writeFully } from './store-io.js';

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
    private readonly replicaPath: string,
    private readonly damaged: Uint8Array | undefined,
  ) {}

  /** `damaged`: a bitmap of blocks known not to hold what the map says (see readMap). */
  static async open(
    layout: StoreLayout,
    key: string,
    sizeBytes: number,
    blockSize: number,
    hasReplica: boolean,
    oldSize: number,
    damaged?: Uint8Array,
  ): Promise<DirDiskWriter> {
    const replica = await open(layout.replica(key), 'a+').then(async (f) => {
      await f.close();
      return open(layout.replica(key), 'r+');
    });
    const current = (await replica.stat()).size;
    const blocks = Math.ceil(Math.max(current, sizeBytes) / blockSize);
    const map = await BlockMap.open(layout.map(key), blocks);
    const crcs = await BlockMap.open(layout.crc(key), blocks, 4);
    const journal = hasReplica ? await UndoJournalWriter.open(layout.stagedUndo(key), blockSize, oldSize) : undefined;
    const writer = new DirDiskWriter(
      replica,
      map,
      crcs,
      journal,
      blockSize,
      hasReplica,
      oldSize,
      sizeBytes,
      layout.replica(key),
      damaged,
    );
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

  /**
   * The map's entries; a block found damaged reads as an entry no block hashes to, so the
   * engine sees it as differing and rewrites it from the source.
   */
  async readMap(firstBlock: number, count: number): Promise<Buffer> {
    const entries = await this.map.read(firstBlock, count);
    const bad = this.damaged;
    if (bad) {
      for (let i = 0; i < count; i++) {
        const b = firstBlock + i;
        if (bad[b >> 3]! & (1 << (b & 7))) entries.fill(0xff, i * HASH_BYTES, (i + 1) * HASH_BYTES);
      }
    }
    return entries;
  }

  /**
   * Fails before any write when the store's file system cannot take the undo records of
   * `bytes` of planned changes. A new disk is not checked: its replica is sparse and only
   * its non-zero blocks land, which no plan knows (a thin 1 TiB disk holding 5 GiB needs
   * 5 GiB); nor is a resync. Running out mid-run is safe anyway: nothing committed changes.
   */
  async reserve(bytes: number): Promise<void> {
    if (!this.journal) return;
    const needed = Math.ceil(bytes / this.blockSize) * (8 + HASH_BYTES + this.blockSize);
    const fs = await statfs(dirname(this.replicaPath));
    const free = fs.bavail * fs.bsize;
    if (needed > free) {
      throw new DrkitError(
        'no-space',
        `the store needs about ${mib(needed)} for this disk (undo records of the changed blocks), ${mib(free)} is free`,
        {
          details: { neededBytes: needed, freeBytes: free },
        },
      );
    }
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
          const [, oldHashes] = await Promise.all([
            this.replica.read(old, 0, old.length, first * this.blockSize),
            this.map.read(first, count),
          ]);
          olds[r] = { first, count, old, oldHashes };
        }),
      );
      for (const { first, count, old, oldHashes } of olds) {
        for (let i = 0; i < count; i++) {
          // A block past the disk's old end had no content at the previous point.
          if ((first + i) * this.blockSize >= this.previousSize) break;
          this.journal.append(
            (first + i) * this.blockSize,
            oldHashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES),
            old.subarray(i * this.blockSize, (i + 1) * this.blockSize),
          );
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
        await Promise.all([
          writeFully(this.replica, data, first * this.blockSize, this.replicaPath),
          this.crcs.write(first, blockCrcs(data, this.blockSize)),
        ]);
      }),
    );
    await inParallel(
      runs.map(
        (run) => () =>
          this.map.write(run[0]!.index, run.length === 1 ? run[0]!.hash : Buffer.concat(run.map((b) => b.hash))),
      ),
    );
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
    try {
      await this.journal?.close();
    } finally {
      await this.replica.close().catch(() => {});
      await this.map.close().catch(() => {});
      await this.crcs.close().catch(() => {});
    }
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

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
