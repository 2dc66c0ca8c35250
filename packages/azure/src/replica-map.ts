import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';
import { BlockMap, HASH_BYTES } from '@drkit/core';
import { azureError, isNotFound } from './azure-errors.js';
import type { AzureLayout } from './azure-layout.js';
import { decodeRecords, packRecords, type MapRecord } from './map-log.js';

/** An Append Block takes at most 4 MiB; a log blob at most 50,000 of them (rolled over before). */
const APPEND_BYTES = 4 << 20;
const LOG_BLOCKS = 49_000;
/** Checksums kept unlogged at most (8,192 blocks: what a crash makes a run rewrite, beside what was in flight). */
const UNLOGGED_BYTES = 256 << 10;

/** A map entry no block hashes to: the block's content is unknown and will be rewritten. */
export const UNKNOWN_ENTRY = Buffer.alloc(HASH_BYTES, 0xff);

/**
 * The per-block checksum map of one Azure replica. In the store it is a full copy (a block
 * blob, rewritten after a run that changed much) plus append-blob logs of what changed
 * since, so a delta sends 36 bytes per changed block rather than a 512-byte page of map per
 * scattered block; here it is a local file (memory stays flat for any disk size), built by
 * replaying the logs over the copy. Replaying is idempotent, so a crash between writing a new
 * copy and deleting old logs costs nothing.
 *
 * The write-ahead rule keeps the map honest across crashes: before a block's data is sent
 * its range is logged dirty; its checksum is logged only after the service confirmed the
 * data. A dirty block without a later checksum reads as unknown (and is rewritten), and
 * `touched` — the blocks made dirty since the last commit — is what a rollback restores.
 */
export class ReplicaMap {
  #unlogged: MapRecord[] = [];
  #unloggedBytes = 0;

  private constructor(
    private readonly container: ContainerClient,
    private readonly layout: AzureLayout,
    private readonly key: string,
    readonly local: BlockMap,
    private readonly dir: string,
    /** Blocks made dirty since the last commit record, as [first, count]. */
    readonly touched: Array<[number, number]>,
    private logIndex: number,
    private logBlocks: number,
    private logCreated: boolean,
    /** Bytes of log since the last full copy: decides when to write a new one. */
    private logBytes: number,
    /** Whether the store holds a full copy (a first copy's map is all log until it outgrows one). */
    private hasCopy: boolean,
  ) {}

  static async load(container: ContainerClient, layout: AzureLayout, key: string, blocks: number): Promise<ReplicaMap> {
    const dir = await mkdtemp(join(tmpdir(), 'drkit-azure-map-'));
    try {
      const path = join(dir, 'map');
      const what = `reading the checksum map of disk ${key}`;
      // The full copy and the list of logs since are fetched at once.
      const [hasCopy, logs] = await Promise.all([
        container
          .getBlockBlobClient(layout.map(key))
          .downloadToFile(path)
          .then(
            () => true,
            (error: unknown) => {
              if (!isNotFound(error)) throw azureError(error, what);
              return false;
            },
          ),
        (async () => {
          const names: string[] = [];
          try {
            for await (const b of container.listBlobsFlat({ prefix: layout.logPrefix(key) })) names.push(b.name);
          } catch (error) {
            throw azureError(error, what);
          }
          return names.sort();
        })(),
      ]);
      const local = await BlockMap.open(path, blocks);
      const touched: Array<[number, number]> = [];
      let logBytes = 0;
      for (const name of logs) {
        let data: Buffer;
        try {
          data = await container.getAppendBlobClient(name).downloadToBuffer();
        } catch (error) {
          throw azureError(error, what);
        }
        logBytes += data.length;
        for (const r of decodeRecords(data, name)) await apply(local, r, touched);
      }
      const last = logs.at(-1);
      const index = last ? Number(last.slice(layout.logPrefix(key).length)) : 0;
      let count = 0;
      if (last) {
        try {
          count = (await container.getAppendBlobClient(last).getProperties()).blobCommittedBlockCount ?? 0;
        } catch (error) {
          throw azureError(error, what);
        }
      }
      return new ReplicaMap(container, layout, key, local, dir, touched, index || 1, count, !!last, logBytes, hasCopy);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Logs ranges as about to be written (before their data is sent), with the checksums waiting. */
  async markDirty(ranges: Array<[number, number]>): Promise<void> {
    const dirty = ranges.map(([first, count]): MapRecord => ({ kind: 'dirty', first, count }));
    await this.append([...this.#takeUnlogged(), ...dirty]);
    this.touched.push(...ranges);
  }

  /**
   * Keeps the checksums of blocks whose data the service confirmed. They are logged with the
   * next append — the next batch's dirty record, the disk's last `logHashes`, the commit — so a
   * batch costs one Append Block, not two. A crash before that loses only the news that those
   * blocks landed: they read as unknown and are rewritten.
   */
  async setHashes(items: Array<{ first: number; hashes: Buffer }>): Promise<void> {
    for (const i of items) {
      await this.local.write(i.first, i.hashes);
      this.#unlogged.push({ kind: 'set', first: i.first, hashes: i.hashes });
      this.#unloggedBytes += i.hashes.length;
    }
    if (this.#unloggedBytes >= UNLOGGED_BYTES) await this.logHashes();
  }

  /** Logs the checksums still waiting (before a point is taken of the replica). */
  async logHashes(): Promise<void> {
    await this.append(this.#takeUnlogged());
  }

  /** A point now holds what was touched: a later rollback goes back to here. */
  async commit(seq: number): Promise<void> {
    await this.append([...this.#takeUnlogged(), { kind: 'commit', seq }]);
    this.touched.length = 0;
  }

  #takeUnlogged(): MapRecord[] {
    const records = this.#unlogged;
    this.#unlogged = [];
    this.#unloggedBytes = 0;
    return records;
  }

  /**
   * Whether a fresh full copy pays: the next load reads the copy plus the logs since. With a
   * copy in the store, once the logs outgrow an eighth of it (at least 1 MiB); with none
   * (a first copy), only once they outgrow a copy — until then the logs are the cheaper read,
   * and a first copy of a 1 GiB disk spares an 8 MiB upload at its end.
   */
  get wantsCompaction(): boolean {
    const copyBytes = this.local.blocks * HASH_BYTES;
    return this.logBytes > Math.max(1 << 20, this.hasCopy ? copyBytes / 8 : copyBytes);
  }

  /** Writes the full map and drops the logs it includes (only between runs' commits). */
  async compact(): Promise<void> {
    const what = `writing the checksum map of disk ${this.key}`;
    try {
      await this.local.sync();
      await this.container
        .getBlockBlobClient(this.layout.map(this.key))
        .uploadFile(join(this.dir, 'map'), { blockSize: 4 << 20, concurrency: 4 });
      for await (const b of this.container.listBlobsFlat({ prefix: this.layout.logPrefix(this.key) }))
        await this.container.deleteBlob(b.name);
    } catch (error) {
      throw azureError(error, what);
    }
    this.logIndex++;
    this.logBlocks = 0;
    this.logCreated = false;
    this.logBytes = 0;
    this.hasCopy = true;
  }

  async close(): Promise<void> {
    await this.local.close().catch(() => {});
    await rm(this.dir, { recursive: true, force: true });
  }

  private async append(records: MapRecord[]): Promise<void> {
    if (records.length === 0) return;
    const what = `logging the checksum map of disk ${this.key}`;
    for (const part of packRecords(records, APPEND_BYTES)) {
      if (this.logBlocks >= LOG_BLOCKS) {
        this.logIndex++;
        this.logBlocks = 0;
        this.logCreated = false;
      }
      const log = this.container.getAppendBlobClient(this.layout.log(this.key, this.logIndex));
      try {
        if (!this.logCreated) {
          await log.createIfNotExists();
          this.logCreated = true;
        }
        const r = await log.appendBlock(part, part.length);
        this.logBlocks = r.blobCommittedBlockCount ?? this.logBlocks + 1;
      } catch (error) {
        throw azureError(error, what);
      }
      this.logBytes += part.length;
    }
  }
}

async function apply(map: BlockMap, r: MapRecord, touched: Array<[number, number]>): Promise<void> {
  if (r.kind === 'commit') {
    touched.length = 0;
    return;
  }
  if (r.kind === 'dirty') {
    touched.push([r.first, r.count]);
    if (r.first + r.count > map.blocks) await map.resize(r.first + r.count);
    await map.write(r.first, Buffer.alloc(r.count * HASH_BYTES, 0xff));
    return;
  }
  const count = r.hashes.length / HASH_BYTES;
  if (r.first + count > map.blocks) await map.resize(r.first + count);
  await map.write(r.first, Buffer.from(r.hashes));
}
