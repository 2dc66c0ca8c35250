import type { PageBlobClient } from '@azure/storage-blob';
import {
  blockHashes,
  DrkitError,
  HASH_BYTES,
  mapRootDigest,
  throwIfAborted,
  ZERO_ENTRY,
  type OperationOptions,
  type PointDisk,
} from '@drkit/core';
import { azureError } from './azure-errors.js';

const CHUNK = 4 << 20;
const IN_FLIGHT = 8;

/**
 * Reads one disk of a point from its blob snapshot — never from the replica a run may be
 * writing — and returns the root of what it read: only pages the snapshot holds are
 * downloaded (a page range list first), chunks without any read as zeros. Each chunk goes
 * to `sink` in order; a caller compares the root with the point's.
 */
export async function readSnapshotDisk(
  snapshot: PageBlobClient,
  disk: PointDisk,
  options: OperationOptions & { sink?: (offset: number, data: Buffer) => Promise<void> } = {},
): Promise<string> {
  const what = `reading disk ${disk.name} of the point's snapshot`;
  const ranges: Array<{ start: number; end: number }> = [];
  try {
    for await (const r of snapshot.listPageRanges(0, Math.ceil(disk.sizeBytes / 512) * 512, {
      abortSignal: options.signal,
    }))
      ranges.push({ start: r.start, end: r.end });
  } catch (error) {
    throw azureError(error, what);
  }
  const bs = disk.blockSize;
  const digest = mapRootDigest(disk.sizeBytes);
  const chunks: Array<{ offset: number; length: number; empty: boolean }> = [];
  let r = 0;
  for (let offset = 0; offset < disk.sizeBytes; offset += CHUNK) {
    const length = Math.min(CHUNK, disk.sizeBytes - offset);
    while (r < ranges.length && ranges[r]!.end < offset) r++;
    const empty = r >= ranges.length || ranges[r]!.start >= offset + length;
    chunks.push({ offset, length, empty });
  }
  const fetch = async (c: (typeof chunks)[number]): Promise<Buffer | undefined> => {
    if (c.empty) return undefined;
    try {
      const buf = Buffer.allocUnsafe(c.length);
      await snapshot.downloadToBuffer(buf, c.offset, c.length, { abortSignal: options.signal, concurrency: 1 });
      return buf;
    } catch (error) {
      throw azureError(error, what);
    }
  };
  const ahead: Array<Promise<Buffer | undefined>> = [];
  let next = 0;
  const fill = () => {
    while (next < chunks.length && ahead.length < IN_FLIGHT) {
      const p = fetch(chunks[next++]!);
      p.catch(() => {});
      ahead.push(p);
    }
  };
  let read = 0;
  for (const c of chunks) {
    throwIfAborted(options.signal);
    fill();
    const data = await ahead.shift()!;
    if (data && data.length !== c.length)
      throw new DrkitError('protocol', `the service returned ${data.length} bytes for ${c.length} at ${c.offset}`);
    if (data) digest.update(blockHashes(data, bs));
    else {
      const blocks = Math.ceil(c.length / bs);
      for (let i = 0; i < blocks; i++) digest.update(ZERO_ENTRY);
    }
    if (data && options.sink) await options.sink(c.offset, data);
    read += c.length;
    options.onProgress?.({ kind: 'bytes', read, sent: read, skipped: 0, total: disk.sizeBytes });
  }
  return digest.digest('hex');
}

/** Checksums of the blocks in [first, first+count) of a blob (the replica), for a damage check. */
export async function blobBlockHashes(
  blob: PageBlobClient,
  first: number,
  count: number,
  bs: number,
  sizeBytes: number,
): Promise<Buffer> {
  const offset = first * bs;
  const length = Math.min(count * bs, sizeBytes - offset);
  const buf = Buffer.allocUnsafe(length);
  await blob.downloadToBuffer(buf, offset, length, { concurrency: 1 });
  const hashes = blockHashes(buf, bs);
  return hashes.length === count * HASH_BYTES
    ? hashes
    : Buffer.concat([hashes, Buffer.alloc(count * HASH_BYTES - hashes.length)]);
}
