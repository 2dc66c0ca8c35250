import { inParallel } from './in-parallel.js';
import { createHash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { DrkitError, throwIfAborted } from '@drkit/spec';
import type { OperationOptions } from '@drkit/spec';
import { ChunkBuffers } from '../replication/chunk-buffers.js';
import { blockHash, HASH_BYTES } from './block-hash.js';
import { ownedBuffer, sharedHashPool } from './hash-pool.js';
import type { PointDisk, PointManifest } from './point-manifest.js';
import type { PointSlot } from './point-files.js';
import { storeIoError } from './store-io.js';
import type { StoreLayout } from './store-layout.js';
import { readUndoJournal } from './undo-journal.js';

const CHUNK = 4 << 20;
const READ_AHEAD = 3;

/**
 * Memory of streamed chunks handed back by their consumer (recyclePointChunk): ten disks going
 * up at once keep about fifty chunks in flight; up to 128 MiB of them are kept for reuse.
 */
const chunkBuffers = new ChunkBuffers(CHUNK, 32, { shared: true });

/** A chunk readPointDisk yielded, given back by a consumer that no longer reads it. */
export function recyclePointChunk(chunk: Uint8Array): void {
  chunkBuffers.give(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
}

/** Where a block's content at a point lives, when it is not the replica's. */
export interface Override {
  journal: FileHandle;
  /** Position of the block's data in the journal. */
  position: number;
}

export interface PointView {
  overrides: Map<number, Override>;
  close(): Promise<void>;
}

/**
 * The blocks of a disk that differ between the replica (newest point) and `point`: for
 * each, the value that wins is the first record for it in the oldest journal from the
 * point on — the same result as applying the journals backwards. The chain is every point
 * file from this one on that has a journal for the disk (only a point followed by a run
 * over the disk has one), found by file name: a damaged manifest keeps its place in it.
 */
export async function pointView(
  layout: StoreLayout,
  slots: PointSlot[],
  point: PointManifest,
  disk: PointDisk,
): Promise<PointView> {
  const overrides = new Map<number, Override>();
  const handles: FileHandle[] = [];
  const recordSize = 8 + HASH_BYTES + disk.blockSize;
  for (const j of slots.filter((s) => s.seq >= point.seq)) {
    const path = layout.journal(j.id, disk.key);
    if (
      !(await stat(path).then(
        () => true,
        () => false,
      ))
    )
      continue;
    const { records } = await readUndoJournal(path, disk.blockSize);
    const handle = await open(path, 'r');
    handles.push(handle);
    const perBatch = Math.max(1, Math.floor(CHUNK / recordSize));
    const buf = Buffer.alloc(perBatch * recordSize);
    for (let first = 0; first < records; first += perBatch) {
      const count = Math.min(perBatch, records - first);
      await handle.read(buf, 0, count * recordSize, 32 + first * recordSize);
      for (let i = 0; i < count; i++) {
        const block = Number(buf.readBigUInt64LE(i * recordSize)) / disk.blockSize;
        if (!overrides.has(block))
          overrides.set(block, { journal: handle, position: 32 + (first + i) * recordSize + 8 + HASH_BYTES });
      }
    }
  }
  return { overrides, close: async () => void (await Promise.all(handles.map((h) => h.close()))) };
}

/** Reads `length` bytes at `offset` of a file, zero-filled past its end, into an owned buffer. */
export async function readAt(file: FileHandle, fileSize: number, offset: number, length: number): Promise<Buffer> {
  const buf = ownedBuffer(length);
  const { bytesRead } =
    offset < fileSize ? await file.read(buf, 0, Math.min(length, fileSize - offset), offset) : { bytesRead: 0 };
  if (bytesRead < length) buf.fill(0, bytesRead);
  return buf;
}

export function checkRoot(root: string, disk: PointDisk, point: PointManifest): string {
  if (root !== disk.root) {
    throw new DrkitError(
      'integrity',
      `disk ${disk.name} at point ${point.id}: checksum root ${root.slice(0, 12)}… differs from the manifest's ${disk.root.slice(0, 12)}…`,
    );
  }
  return root;
}

/**
 * Verifies a point's disk without writing, every block, in two links chained to the
 * manifest: (1) the point's SHA-256 map — the replica's map with the journals' entries for
 * older blocks laid over it — must give the manifest's root; (2) every block's data must
 * match it: replica blocks by their CRC-32 (kept beside the map, checked on worker threads
 * at several GB/s), journal blocks by SHA-256 against the journal's own entry.
 */
export interface VerifyOptions extends OperationOptions {
  /** Chunks checked at once (each on a hash-pool thread). Default 3; restore leaves a core to its copy. */
  inFlight?: number;
}

export async function verifyPointDisk(
  layout: StoreLayout,
  slots: PointSlot[],
  point: PointManifest,
  disk: PointDisk,
  options: VerifyOptions = {},
): Promise<string> {
  const files = await openCheckedPoint(layout, slots, point, disk);
  const { replica } = files;
  const bs = disk.blockSize;
  try {
    // Link 2: every block's data against that map.
    const size = (await replica.stat()).size;
    const pool = sharedHashPool();
    const offsets: number[] = [];
    for (let o = 0; o < disk.sizeBytes; o += CHUNK) offsets.push(o);
    const check = async (offset: number) => {
      const length = Math.min(CHUNK, disk.sizeBytes - offset);
      const [actual, expected] = await Promise.all([
        pool.crcFile(replica.fd, size, offset, length, bs),
        storedCrcs(files, size, bs, offset, length),
      ]);
      await checkChunk(files, point, disk, offset, length, actual, expected);
    };
    const inFlight = Math.max(1, options.inFlight ?? READ_AHEAD);
    const ahead = offsets.slice(0, inFlight).map(check);
    for (const p of ahead) p.catch(() => {});
    for (let i = 0; i < offsets.length; i++) {
      throwIfAborted(options.signal);
      await ahead.shift()!;
      const next = offsets[i + inFlight];
      if (next !== undefined) {
        const p = check(next);
        p.catch(() => {});
        ahead.push(p);
      }
      options.onProgress?.({
        kind: 'bytes',
        read: Math.min(disk.sizeBytes, offsets[i]! + CHUNK),
        sent: 0,
        skipped: 0,
        total: disk.sizeBytes,
      });
    }
    return disk.root;
  } finally {
    await files.close();
  }
}

/**
 * A point's disk as a stream of its bytes, 4 MiB at a time, each block checked before it is
 * handed on — the same two links as verifyPointDisk, but the data read once and passed along
 * (a recovery uploads it as it comes, with no image on local disk). A bad block ends the
 * stream with an `integrity` error, never with wrong data.
 */
export async function* readPointDisk(
  layout: StoreLayout,
  slots: PointSlot[],
  point: PointManifest,
  disk: PointDisk,
  options: OperationOptions = {},
): AsyncGenerator<Buffer> {
  const files = await openCheckedPoint(layout, slots, point, disk);
  const { replica } = files;
  const bs = disk.blockSize;
  try {
    const size = (await replica.stat()).size;
    const pool = sharedHashPool();
    // One chunk read and checked (its CRCs on a pool thread) while the ones before it are
    // consumed: an upload's TLS has the main thread to itself.
    const chunk = async (offset: number): Promise<Buffer> => {
      const length = Math.min(CHUNK, disk.sizeBytes - offset);
      const read = chunkBuffers.take(length) ?? ownedBuffer(length);
      const { bytesRead } =
        offset < size ? await replica.read(read, 0, Math.min(length, size - offset), offset) : { bytesRead: 0 };
      if (bytesRead < length) read.fill(0, bytesRead);
      const [{ data, crcs: actual }, expected] = await Promise.all([
        pool.crc(read, bs),
        storedCrcs(files, size, bs, offset, length),
      ]);
      await checkChunk(files, point, disk, offset, length, actual, expected, data);
      return data;
    };
    const ahead: Array<Promise<Buffer>> = [];
    let next = 0;
    const fill = () => {
      while (ahead.length < READ_AHEAD && next < disk.sizeBytes) {
        const p = chunk(next);
        p.catch(() => {});
        ahead.push(p);
        next += CHUNK;
      }
    };
    fill();
    while (ahead.length > 0) {
      throwIfAborted(options.signal);
      const data = await ahead.shift()!;
      fill();
      yield data;
    }
  } finally {
    await files.close();
  }
}

type CheckedPoint = Awaited<ReturnType<typeof openCheckedPoint>>;

/** The CRC-32s the store keeps for a chunk's blocks. */
function storedCrcs(files: CheckedPoint, size: number, bs: number, offset: number, length: number): Promise<Buffer> {
  return readAt(files.crcs, Math.ceil(size / bs) * 4, (offset / bs) * 4, Math.ceil(length / bs) * 4);
}

/**
 * Link 2 for one chunk: each block's CRC-32 (`actual`) against the store's, or, where the
 * point's block lies in an undo journal, that block read and hashed against the journal's
 * entry — into `data` at its place when the chunk is handed on, else into a scratch buffer.
 */
async function checkChunk(
  files: CheckedPoint,
  point: PointManifest,
  disk: PointDisk,
  offset: number,
  length: number,
  actual: Buffer,
  expected: Buffer,
  data?: Buffer,
): Promise<void> {
  const bs = disk.blockSize;
  const older: Array<() => Promise<unknown>> = [];
  for (let i = 0; i < Math.ceil(length / bs); i++) {
    const o = files.view.overrides.get(offset / bs + i);
    if (o) {
      older.push(async () => {
        const blockLength = Math.min(bs, length - i * bs);
        const block = data ? data.subarray(i * bs, i * bs + blockLength) : Buffer.alloc(blockLength);
        await o.journal.read(block, 0, blockLength, o.position);
        if (!blockHash(block).equals(files.journalEntries.get(offset / bs + i)!))
          throw corrupt(disk, point, offset + i * bs, 'undo journal');
      });
    } else if (actual.readUInt32LE(i * 4) !== expected.readUInt32LE(i * 4))
      throw corrupt(disk, point, offset + i * bs, 'replica');
  }
  await inParallel(older);
}

/**
 * Opens a point's disk for reading and checks link 1: the point's SHA-256 map (the replica's
 * with the journals' entries for older blocks laid over it) must give the manifest's root.
 * The journal entries read on the way are kept for link 2.
 */
async function openCheckedPoint(layout: StoreLayout, slots: PointSlot[], point: PointManifest, disk: PointDisk) {
  const view = await pointView(layout, slots, point, disk);
  const bs = disk.blockSize;
  const blocks = Math.ceil(disk.sizeBytes / bs);
  const opened: FileHandle[] = [];
  const close = async () => {
    await Promise.all(opened.map((f) => f.close()));
    await view.close();
  };
  const openPart = async (path: string) => {
    const f = await open(path, 'r').catch((error: unknown) => {
      throw storeIoError(error, path);
    });
    opened.push(f);
    return f;
  };
  try {
    const [replica, map, crcs] = [
      await openPart(layout.replica(disk.key)),
      await openPart(layout.map(disk.key)),
      await openPart(layout.crc(disk.key)),
    ];
    await checkLengths(layout, slots, disk, replica, map, crcs);
    const journalEntries = new Map<number, Buffer>();
    const digest = createHash('sha256').update(`drkit-map-v1:${disk.sizeBytes}:`);
    const perChunk = CHUNK / bs;
    for (let first = 0; first < blocks; first += perChunk) {
      const count = Math.min(perChunk, blocks - first);
      const entries = Buffer.alloc(count * HASH_BYTES);
      await map.read(entries, 0, entries.length, first * HASH_BYTES);
      const reads: Array<() => Promise<unknown>> = [];
      for (let i = 0; i < count; i++) {
        const o = view.overrides.get(first + i);
        if (o) reads.push(() => o.journal.read(entries, i * HASH_BYTES, HASH_BYTES, o.position - HASH_BYTES));
      }
      await inParallel(reads);
      for (let i = 0; i < count; i++) {
        if (view.overrides.has(first + i))
          journalEntries.set(first + i, Buffer.from(entries.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES)));
      }
      digest.update(entries);
    }
    checkRoot(digest.digest('hex'), disk, point);
    return { view, replica, crcs, journalEntries, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Past a file's end, data and stored CRCs both read as zeros — a cut-off replica would
 * pass the block check. So the three files must have the lengths of the disk's newest
 * point (known when the newest intact holder has no journal for it: nothing followed).
 */
async function checkLengths(
  layout: StoreLayout,
  slots: PointSlot[],
  disk: PointDisk,
  replica: FileHandle,
  map: FileHandle,
  crcs: FileHandle,
): Promise<void> {
  const [r, m, c] = await Promise.all([replica.stat(), map.stat(), crcs.stat()]);
  const problem = (what: string) => new DrkitError('integrity', `disk ${disk.name}: ${what}`);
  const blocks = Math.ceil(r.size / disk.blockSize);
  const mapAndCrcs = () => {
    if (m.size !== blocks * HASH_BYTES) throw problem(`blocks.map holds ${m.size} bytes for a ${r.size}-byte replica`);
    if (c.size !== blocks * 4) throw problem(`blocks.crc holds ${c.size} bytes for a ${r.size}-byte replica`);
  };
  let holder: PointSlot | undefined;
  let newest: PointDisk | undefined;
  for (const s of slots) {
    const d = s.manifest?.members.flatMap((x) => x.disks).find((x) => x.key === disk.key);
    if (d) [holder, newest] = [s, d];
  }
  const followed =
    holder &&
    (await stat(layout.journal(holder.id, disk.key)).then(
      () => true,
      () => false,
    ));
  if (newest && !followed && newest.sizeBytes !== r.size)
    throw problem(`replica.img holds ${r.size} bytes, the disk's newest point ${newest.sizeBytes}`);
  mapAndCrcs();
}

function corrupt(disk: PointDisk, point: PointManifest, offset: number, where: string): DrkitError {
  return new DrkitError(
    'integrity',
    `disk ${disk.name} at point ${point.id}: the block at byte ${offset} does not match its checksum (${where})`,
  );
}
