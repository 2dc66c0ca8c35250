import { open, stat, type FileHandle } from 'node:fs/promises';
import { DrkitError } from '../errors.js';
import { throwIfAborted } from '../errors.js';
import type { OperationOptions } from '../progress.js';
import { blockHashes, HASH_BYTES } from './block-hash.js';
import { createHash } from 'node:crypto';
import { latestWith } from './dir-store.js';
import type { PointDisk, PointManifest } from './point-manifest.js';
import type { StoreLayout } from './store-layout.js';
import { readUndoJournal } from './undo-journal.js';

const CHUNK = 4 << 20;

interface Override {
  journal: number;
  position: number;
}

/**
 * Reads one disk as it was at a point, in one pass: the replica's blocks, except those the
 * point's later runs overwrote, which come from the undo journals. For each block, the
 * value that wins is the first record for it in the oldest journal from the point on —
 * the same result as applying the journals backwards, without writing anything.
 * Every block is hashed; the root must equal the manifest's, or it throws.
 */
export async function readPointDisk(
  layout: StoreLayout,
  points: PointManifest[],
  point: PointManifest,
  disk: PointDisk,
  sink: ((chunk: Buffer, offset: number) => Promise<void>) | undefined,
  options: OperationOptions = {},
): Promise<string> {
  const newest = latestWith(points, disk.key)!;
  const journals = points.filter((p) => p.seq >= point.seq && p.seq < newest.seq && p.members.some((m) => m.disks.some((d) => d.key === disk.key)));
  const overrides = new Map<number, Override>();
  const handles: FileHandle[] = [];
  const bs = disk.blockSize;
  const recordSize = 8 + HASH_BYTES + bs;
  try {
    for (const j of journals) {
      const path = layout.journal(j.id, disk.key);
      if (!(await stat(path).then(() => true, () => false))) continue;
      const journal = await readUndoJournal(path);
      const handle = await open(path, 'r');
      handles.push(handle);
      const header = Buffer.alloc(8);
      for (let i = 0; i < journal.records; i++) {
        const position = 32 + i * recordSize;
        await handle.read(header, 0, 8, position);
        const block = Number(header.readBigUInt64LE(0)) / bs;
        if (!overrides.has(block)) overrides.set(block, { journal: handles.length - 1, position: position + 8 + HASH_BYTES });
      }
    }
    const replica = await open(layout.replica(disk.key), 'r');
    handles.push(replica);
    const replicaSize = (await replica.stat()).size;
    // The same root BlockMap.root computes, built as blocks go by: memory stays flat.
    const digest = createHash('sha256').update(`drkit-map-v1:${disk.sizeBytes}:`);
    let next = Promise.resolve();
    for (let offset = 0; offset < disk.sizeBytes; offset += CHUNK) {
      throwIfAborted(options.signal);
      const length = Math.min(CHUNK, disk.sizeBytes - offset);
      const chunk = Buffer.alloc(length);
      if (offset < replicaSize) await replica.read(chunk, 0, Math.min(length, replicaSize - offset), offset);
      const firstBlock = offset / bs;
      for (let b = 0; b < Math.ceil(length / bs); b++) {
        const o = overrides.get(firstBlock + b);
        if (o) await handles[o.journal]!.read(chunk, b * bs, Math.min(bs, length - b * bs), o.position);
      }
      digest.update(blockHashes(chunk, bs));
      // Overlap the write of this chunk with reading and hashing the next.
      await next;
      if (sink) next = sink(chunk, offset);
      options.onProgress?.({ kind: 'bytes', read: offset + length, sent: 0, skipped: 0, total: disk.sizeBytes });
    }
    await next;
    const root = digest.digest('hex');
    if (root !== disk.root) {
      throw new DrkitError('integrity', `disk ${disk.name} at point ${point.id}: checksum root ${root.slice(0, 12)}… differs from the manifest's ${disk.root.slice(0, 12)}…`);
    }
    return root;
  } finally {
    for (const h of handles) await h.close().catch(() => {});
  }
}
