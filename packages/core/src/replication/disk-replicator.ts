import { DrkitError, throwIfAborted } from '@drkit/spec';
import type { DiskSource, Extent } from '@drkit/spec';
import type { OperationOptions } from '@drkit/spec';
import { blockHash, differingRuns, HASH_BYTES } from '../store/block-hash.js';
import { sharedHashPool } from '../store/hash-pool.js';
import type { PointDisk, ReplicationMode } from '../store/point-manifest.js';
import type { DiskWriter, StoreRun } from '../store/target-store.js';
import { ChunkBuffers } from './chunk-buffers.js';
import { collectExtents, planChunks, wholeDisk } from './extent-plan.js';
import type { RateLimiter } from './rate-limiter.js';

export interface DiskJob {
  key: string;
  diskId: string;
  name: string;
  source: DiskSource;
  /** The source's change token at this snapshot, for the next run's delta. */
  changeToken?: string;
  /** Compare checksums over the whole disk even if change tracking is available. */
  forceResync?: boolean;
}

/** The engine's read unit and how many it keeps in flight: what a user's run does (benches read with these). */
export const DEFAULT_CHUNK_BYTES = 1 << 20;
export const DEFAULT_READ_AHEAD = 3;

export interface EngineOptions extends OperationOptions {
  /** Bytes read, hashed and compared as one unit. Default 1 MiB. */
  chunkBytes?: number;
  /** Changed blocks gathered before one journal-then-write batch. Default 8 MiB. */
  batchBytes?: number;
  /** Chunk-sizes of data read and hashed ahead of the one being written. Default 3 (hashing runs on every core). */
  readAhead?: number;
  /**
   * Chunk-sizes asked for ahead when the source hashes remotely. Default 16:
   * a chunk in flight holds only its hashes and its differing blocks, and a deep pipeline
   * hides the link's round trips behind the host's hashing.
   */
  remoteReadAhead?: number;
  limiter?: RateLimiter;
}

/**
 * Memory of recycled chunk buffers kept at most: enough for what a writer that sends from the
 * engine's memory holds in flight (the Azure writer: 64 MiB), so steady state allocates nothing.
 */
const KEPT_BUFFER_BYTES = 128 << 20;

/** Chunks in flight at most, however small: bounds promises and per-request state. */
const MAX_AHEAD = 1024;

interface Counters {
  read: number;
  written: number;
  skipped: number;
  undo: number;
}

/**
 * Replicates one disk into a store run: initial copy, delta from change tracking, or
 * resync by checksums — one loop for all three, because every block is hashed and
 * compared with the replica's map before it is written. So a source that over-reports
 * changes costs reads, not writes, and a resumed run skips what already landed.
 */
export async function replicateDisk(run: StoreRun, job: DiskJob, options: EngineOptions = {}): Promise<PointDisk> {
  const { source } = job;
  const chunkBytes = options.chunkBytes ?? source.preferredReads?.bytes ?? DEFAULT_CHUNK_BYTES;
  const writer = await run.openDisk(job.key, source.sizeBytes);
  const bs = writer.blockSize;
  if (chunkBytes % bs !== 0)
    throw new DrkitError('bad-input', `chunk size ${chunkBytes} is not a multiple of the block size ${bs}`);
  const previous = run.previous(job.key);

  let mode: ReplicationMode;
  let resyncReason: string | undefined;
  let chunks: Extent[];
  let nextToken = job.changeToken;
  if (!writer.hasReplica) {
    mode = 'initial';
    chunks = planChunks(await collectExtents(source.allocated(options)), source.sizeBytes, bs, chunkBytes);
  } else {
    const why = job.forceResync
      ? 'resync requested'
      : !previous?.changeToken
        ? 'no change token from the previous point'
        : writer.previousSize !== source.sizeBytes
          ? `disk size changed from ${writer.previousSize} to ${source.sizeBytes} bytes`
          : undefined;
    const changes = why ? undefined : await source.changedSince(previous!.changeToken, options);
    if (changes?.kind === 'extents') {
      mode = 'delta';
      chunks = planChunks(await collectExtents(changes.extents), source.sizeBytes, bs, chunkBytes);
      nextToken ??= changes.nextToken;
    } else {
      mode = 'resync';
      resyncReason = why ?? (changes?.kind === 'unknown' ? changes.reason : 'unknown');
      chunks = wholeDisk(source.sizeBytes, chunkBytes);
      if (changes?.kind === 'unknown') nextToken ??= changes.nextToken;
    }
  }

  // What is planned can be checked against the store's free space before the first write.
  if (mode !== 'resync') await writer.reserve?.(chunks.reduce((n, c) => n + c.length, 0));
  const counters: Counters = { read: 0, written: 0, skipped: 0, undo: 0 };
  const remote = mode === 'resync' && source.hashBlocks ? source.hashBlocks.bind(source) : undefined;
  let batch: Array<{ index: number; data: Buffer; hash: Buffer }> = [];
  let batchBytes = 0;
  // The first batch is one chunk, and each next one twice the last up to the full size: the
  // store starts writing (an Azure run, its first Put Page) once one chunk has changed blocks,
  // not once 8 MiB of them have been read and hashed.
  const fullBatch = options.batchBytes ?? 8 << 20;
  let batchLimit = Math.min(chunkBytes, fullBatch);
  // Buffers whose blocks sit in the batch: reusable once it is written, not before.
  let written: Buffer[] = [];
  const flush = async () => {
    const { undoBytes, released } = await writer.writeBlocks(batch);
    counters.undo += undoBytes;
    batch = [];
    batchBytes = 0;
    batchLimit = Math.min(batchLimit * 2, fullBatch);
    const free = written;
    written = [];
    // A writer sending from this memory (no copy) says when it is done with it.
    if (released) void released.then(() => buffers.giveAll(free));
    else buffers.giveAll(free);
  };

  // Read and hash ahead, so source I/O, hashing (on worker threads) and store writes
  // overlap. The window is in bytes, not chunks: a sparse delta of 4 KiB extents keeps
  // hundreds of small reads in flight (one round trip each over a network), an initial copy
  // a few 1 MiB chunks. Memory stays bounded by the window plus one batch.
  const buffers = new ChunkBuffers(chunkBytes, Math.max(32, KEPT_BUFFER_BYTES / chunkBytes));
  const fetch = (e: Extent) =>
    remote
      ? remoteCandidates(source, remote, e, bs, writer, options)
      : localCandidates(source, e, bs, writer, buffers, options);
  const windowBytes =
    Math.max(
      1,
      remote
        ? (options.remoteReadAhead ?? 16)
        : (options.readAhead ?? source.preferredReads?.inFlight ?? DEFAULT_READ_AHEAD),
    ) * chunkBytes;
  const ahead: Array<Promise<Candidates>> = [];
  let aheadBytes = 0;
  let queued = 0;
  const fill = () => {
    while (
      queued < chunks.length &&
      (ahead.length === 0 || (aheadBytes + chunks[queued]!.length <= windowBytes && ahead.length < MAX_AHEAD))
    ) {
      const p = fetch(chunks[queued]!);
      // A failed read ahead of the one awaited must not surface as an unhandled rejection.
      p.catch(() => {});
      ahead.push(p);
      aheadBytes += chunks[queued]!.length;
      queued++;
    }
  };
  for (let i = 0; i < chunks.length; i++) {
    throwIfAborted(options.signal);
    fill();
    const current = await ahead.shift()!;
    aheadBytes -= chunks[i]!.length;
    fill();
    await options.limiter?.take(current.readBytes, options.signal);
    counters.read += current.readBytes;
    const changed = current.blocks.reduce((n, b) => n + b.data.length, 0);
    counters.skipped += chunks[i]!.length - changed;
    // A few changed blocks of a big chunk are copied out, so the batch never holds whole
    // chunks for them (a sparse resync would otherwise keep a chunk per 4 KiB it writes).
    const copyOut = changed > 0 && changed * 4 < chunks[i]!.length;
    for (const b of current.blocks) {
      batch.push(copyOut ? { ...b, data: Buffer.from(b.data) } : b);
      batchBytes += b.data.length;
      counters.written += b.data.length;
    }
    if (current.recycle) {
      if (changed === 0 || copyOut) buffers.give(current.recycle);
      else written.push(current.recycle);
    }
    if (batchBytes >= batchLimit) await flush();
    options.onProgress?.({
      kind: 'bytes',
      read: counters.read,
      sent: counters.written,
      skipped: counters.skipped,
      total: source.sizeBytes,
    });
  }
  await flush();
  const root = await writer.finish();
  return {
    diskId: job.diskId,
    key: job.key,
    name: job.name,
    sizeBytes: source.sizeBytes,
    blockSize: bs,
    root,
    ...(nextToken !== undefined && { changeToken: nextToken }),
    mode,
    ...(resyncReason !== undefined && { resyncReason }),
    bytesRead: counters.read,
    bytesWritten: counters.written,
    bytesSkipped: counters.skipped,
  };
}

interface Candidates {
  readBytes: number;
  blocks: Array<{ index: number; data: Buffer; hash: Buffer }>;
  /** The engine's buffer the blocks are slices of: reusable once they are written. */
  recycle?: Buffer;
}

/** Reads the chunk, hashes every block, keeps the ones whose checksum differs from the replica's. */
async function localCandidates(
  source: DiskSource,
  e: Extent,
  bs: number,
  writer: DiskWriter,
  buffers: ChunkBuffers,
  options: OperationOptions,
): Promise<Candidates> {
  const into = buffers.take(e.length);
  const [data, map] = await Promise.all([
    source.read(e, { ...options, ...(into && { into }) }),
    writer.readMap(e.offset / bs, Math.ceil(e.length / bs)),
  ]);
  if (data.length !== e.length)
    throw new DrkitError('protocol', `source returned ${data.length} bytes for a ${e.length}-byte read at ${e.offset}`);
  // Checked before the hash pool transfers the memory away (and back, as a new Buffer).
  const filledInPlace = into !== undefined && data.buffer === into.buffer;
  if (into && !filledInPlace) buffers.declined();
  const { data: buf, hashes } = await sharedHashPool().hash(
    Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    bs,
  );
  // Runs of consecutive changed blocks, as slices of the chunk (no copy): an initial copy
  // becomes one write per chunk, a sparse delta one write per changed block.
  const blocks: Candidates['blocks'] = differingRuns(hashes, map, Math.ceil(e.length / bs)).map(([i, j]) => ({
    index: e.offset / bs + i,
    data: buf.subarray(i * bs, Math.min(e.length, j * bs)),
    hash: hashes.subarray(i * HASH_BYTES, j * HASH_BYTES),
  }));
  return { readBytes: e.length, blocks, ...(filledInPlace && { recycle: buf }) };
}

/**
 * Hashes computed where the data is: compare them with the map, then read only the
 * differing blocks — each checked against its remote hash on arrival.
 */
async function remoteCandidates(
  source: DiskSource,
  hashBlocks: NonNullable<DiskSource['hashBlocks']>,
  e: Extent,
  bs: number,
  writer: DiskWriter,
  options: OperationOptions,
): Promise<Candidates> {
  const parts: Uint8Array[] = [];
  for await (const h of hashBlocks(e, bs, options)) parts.push(h);
  const remote = Buffer.concat(parts);
  const count = Math.ceil(e.length / bs);
  if (remote.length !== count * HASH_BYTES)
    throw new DrkitError('protocol', `source sent ${remote.length / HASH_BYTES} block hashes for ${count} blocks`);
  const map = await writer.readMap(e.offset / bs, count);
  // Runs of differing blocks, fetched all at once: a pipelining source (SSH) answers them
  // in one round trip, and a run is one read, not one per block.
  const runs = differingRuns(remote, map, count).map(([first, last]) => ({ first, count: last - first }));
  const end = e.offset + e.length;
  const fetched = await Promise.all(
    runs.map(async (r) => {
      const offset = e.offset + r.first * bs;
      const length = Math.min(r.count * bs, end - offset);
      const data = Buffer.from(await source.read({ offset, length }, options));
      if (data.length !== length)
        throw new DrkitError('protocol', `source returned ${data.length} bytes for a ${length}-byte read at ${offset}`);
      const hashes = Buffer.allocUnsafe(r.count * HASH_BYTES);
      for (let k = 0; k < r.count; k++) {
        const actual = blockHash(data.subarray(k * bs, (k + 1) * bs));
        const expected = remote.subarray((r.first + k) * HASH_BYTES, (r.first + k + 1) * HASH_BYTES);
        if (!actual.equals(expected))
          throw new DrkitError('integrity', `block at ${offset + k * bs} does not match the hash the source sent`);
        hashes.set(actual, k * HASH_BYTES);
      }
      return { index: e.offset / bs + r.first, data, hash: hashes };
    }),
  );
  return { readBytes: fetched.reduce((n, b) => n + b.data.length, 0), blocks: fetched };
}
