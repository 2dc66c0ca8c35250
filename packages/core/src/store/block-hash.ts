import { hash } from 'node:crypto';
import { crc32 } from './fast-crc32.js';

/** Bytes in one tracked block: the granularity of change tracking, checksums and undo. */
export const DEFAULT_BLOCK_SIZE = 4096;
export const HASH_BYTES = 32;

/** The map stores this for a block of zeros, so a fresh (sparse, zero-filled) map means "all zero". */
export const ZERO_ENTRY = Buffer.alloc(HASH_BYTES);

const ZERO_PAGE = Buffer.alloc(65536);

/** SHA-256 of one block; all-zero blocks map to ZERO_ENTRY. */
export function blockHash(block: Uint8Array): Buffer {
  return isZero(block) ? ZERO_ENTRY : hash('sha256', block, 'buffer');
}

/** Hashes each block of `data` (a whole number of blocks, except maybe the last) into one buffer. */
export function blockHashes(data: Uint8Array, blockSize: number): Buffer {
  const count = Math.ceil(data.length / blockSize);
  // Zero-filled: an all-zero block's entry (ZERO_ENTRY) is already there.
  const out = Buffer.alloc(count * HASH_BYTES);
  // A chunk of zeros (a hole, an unused stretch) is common: one scan answers for all its blocks.
  if (isZero(data)) return out;
  const buf = asBuffer(data);
  for (let i = 0; i < count; i++) {
    const start = i * blockSize;
    const end = Math.min(data.length, start + blockSize);
    if (!isZeroRange(buf, start, end)) hash('sha256', buf.subarray(start, end), 'buffer').copy(out, i * HASH_BYTES);
  }
  return out;
}

export function isZero(data: Uint8Array): boolean {
  return isZeroRange(asBuffer(data), 0, data.length);
}

/** Whether bytes [start, end) of `buf` are zero, compared in place: no view per call. */
export function isZeroRange(buf: Buffer, start: number, end: number): boolean {
  // Data usually differs from zero in its first byte: the compare is then never made.
  if (start < end && buf[start] !== 0) return false;
  for (let o = start; o < end; o += ZERO_PAGE.length) {
    const n = Math.min(ZERO_PAGE.length, end - o);
    if (buf.compare(ZERO_PAGE, 0, n, o, o + n) !== 0) return false;
  }
  return true;
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * The fast per-block check used when reading points back (restore, verify): CRC-32, 0 for
 * an all-zero block (so a sparse, zero-filled file means "all zero"), never 0 otherwise.
 * Corruption detection only — the SHA-256 map, not this, decides what differs.
 */
export function blockCrc(block: Uint8Array): number {
  const c = crc32(block);
  // Only a block whose CRC is that of zeros can be all zeros: the zero scan runs for those alone.
  if (c === zeroCrc(block.length) && isZero(block)) return 0;
  return c || 1;
}

const ZERO_CRCS = new Map<number, number>();
function zeroCrc(length: number): number {
  let c = ZERO_CRCS.get(length);
  if (c === undefined) ZERO_CRCS.set(length, (c = crc32(Buffer.alloc(length))));
  return c;
}

export function blockCrcs(data: Uint8Array, blockSize: number): Buffer {
  const count = Math.ceil(data.length / blockSize);
  const out = Buffer.alloc(count * 4);
  for (let i = 0; i < count; i++)
    out.writeUInt32LE(blockCrc(data.subarray(i * blockSize, Math.min(data.length, (i + 1) * blockSize))), i * 4);
  return out;
}

/**
 * Runs of consecutive blocks whose entries differ between two hash lists of `count` blocks,
 * as [first, end) block indexes: what a copy or a write-back sends.
 */
export function differingRuns(a: Buffer, b: Buffer, count: number): Array<[number, number]> {
  const same = (i: number) =>
    a.compare(b, i * HASH_BYTES, (i + 1) * HASH_BYTES, i * HASH_BYTES, (i + 1) * HASH_BYTES) === 0;
  const runs: Array<[number, number]> = [];
  for (let i = 0; i < count; ) {
    if (same(i)) {
      i++;
      continue;
    }
    let end = i + 1;
    while (end < count && !same(end)) end++;
    runs.push([i, end]);
    i = end;
  }
  return runs;
}
