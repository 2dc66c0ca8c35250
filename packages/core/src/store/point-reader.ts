import { createHash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { DrkitError, throwIfAborted } from '../errors.js';
import type { OperationOptions } from '../progress.js';
import { HASH_BYTES } from './block-hash.js';
import { latestWith } from './dir-store.js';
import { ownedBuffer, sharedHashPool } from './hash-pool.js';
import type { PointDisk, PointManifest } from './point-manifest.js';
import type { StoreLayout } from './store-layout.js';
import { readUndoJournal } from './undo-journal.js';

const CHUNK = 4 << 20;
const READ_AHEAD = 3;

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
 * point on — the same result as applying the journals backwards.
 */
export async function pointView(layout: StoreLayout, points: PointManifest[], point: PointManifest, disk: PointDisk): Promise<PointView> {
  const newest = latestWith(points, disk.key)!;
  const journals = points.filter((p) => p.seq >= point.seq && p.seq < newest.seq && p.members.some((m) => m.disks.some((d) => d.key === disk.key)));
  const overrides = new Map<number, Override>();
  const handles: FileHandle[] = [];
  const recordSize = 8 + HASH_BYTES + disk.blockSize;
  for (const j of journals) {
    const path = layout.journal(j.id, disk.key);
    if (!(await stat(path).then(() => true, () => false))) continue;
    const { records } = await readUndoJournal(path);
    const handle = await open(path, 'r');
    handles.push(handle);
    const perBatch = Math.max(1, Math.floor(CHUNK / recordSize));
    const buf = Buffer.alloc(perBatch * recordSize);
    for (let first = 0; first < records; first += perBatch) {
      const count = Math.min(perBatch, records - first);
      await handle.read(buf, 0, count * recordSize, 32 + first * recordSize);
      for (let i = 0; i < count; i++) {
        const block = Number(buf.readBigUInt64LE(i * recordSize)) / disk.blockSize;
        if (!overrides.has(block)) overrides.set(block, { journal: handle, position: 32 + (first + i) * recordSize + 8 + HASH_BYTES });
      }
    }
  }
  return { overrides, close: async () => void (await Promise.all(handles.map((h) => h.close()))) };
}

/**
 * Hashes a disk image chunk by chunk — reads ahead, hashes on worker threads — and
 * returns the root over its block checksums (the same root BlockMap.root computes).
 */
export async function rootOf(
  read: (offset: number, length: number) => Promise<Buffer>,
  disk: PointDisk,
  options: OperationOptions = {},
  sink?: (data: Buffer, offset: number) => Promise<unknown>,
): Promise<string> {
  const digest = createHash('sha256').update(`drkit-map-v1:${disk.sizeBytes}:`);
  const pool = sharedHashPool();
  const offsets: number[] = [];
  for (let o = 0; o < disk.sizeBytes; o += CHUNK) offsets.push(o);
  const hashAt = (o: number) => read(o, Math.min(CHUNK, disk.sizeBytes - o)).then((b) => pool.hash(b, disk.blockSize));
  const ahead = offsets.slice(0, READ_AHEAD).map(hashAt);
  for (const p of ahead) p.catch(() => {});
  for (let i = 0; i < offsets.length; i++) {
    throwIfAborted(options.signal);
    const { data, hashes } = await ahead.shift()!;
    digest.update(hashes);
    // Chunks behind this one are already being read and hashed while it is written.
    if (sink) await sink(data, offsets[i]!);
    const next = offsets[i + READ_AHEAD];
    if (next !== undefined) {
      const p = hashAt(next);
      p.catch(() => {});
      ahead.push(p);
    }
    options.onProgress?.({ kind: 'bytes', read: Math.min(disk.sizeBytes, offsets[i]! + CHUNK), sent: 0, skipped: 0, total: disk.sizeBytes });
  }
  return digest.digest('hex');
}

/** Reads `length` bytes at `offset` of a file, zero-filled past its end, into an owned buffer. */
export async function readAt(file: FileHandle, fileSize: number, offset: number, length: number): Promise<Buffer> {
  const buf = ownedBuffer(length);
  if (offset < fileSize) await file.read(buf, 0, Math.min(length, fileSize - offset), offset);
  return buf;
}

export function checkRoot(root: string, disk: PointDisk, point: PointManifest): string {
  if (root !== disk.root) {
    throw new DrkitError('integrity', `disk ${disk.name} at point ${point.id}: checksum root ${root.slice(0, 12)}… differs from the manifest's ${disk.root.slice(0, 12)}…`);
  }
  return root;
}

/**
 * Reads a point's disk — the replica with the point's overrides laid over it — hashing
 * every block; hands each chunk to `sink` when given (restore), and checks the root.
 */
export async function verifyPointDisk(
  layout: StoreLayout,
  points: PointManifest[],
  point: PointManifest,
  disk: PointDisk,
  options: OperationOptions = {},
  sink?: (data: Buffer, offset: number) => Promise<unknown>,
): Promise<string> {
  const view = await pointView(layout, points, point, disk);
  const replica = await open(layout.replica(disk.key), 'r');
  try {
    const size = (await replica.stat()).size;
    const bs = disk.blockSize;
    const root = await rootOf(async (offset, length) => {
      const buf = await readAt(replica, size, offset, length);
      const reads: Array<() => Promise<unknown>> = [];
      for (let b = 0; b < Math.ceil(length / bs); b++) {
        const o = view.overrides.get(offset / bs + b);
        if (o) reads.push(() => o.journal.read(buf, b * bs, Math.min(bs, length - b * bs), o.position));
      }
      await inParallel(reads);
      return buf;
    }, disk, options, sink);
    return checkRoot(root, disk, point);
  } finally {
    await replica.close();
    await view.close();
  }
}

/** Runs small I/O calls with a bounded number in flight, so libuv's pool overlaps them. */
export async function inParallel(calls: Array<() => Promise<unknown>>, limit = 32): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < calls.length) await calls[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, calls.length) }, lane));
}
