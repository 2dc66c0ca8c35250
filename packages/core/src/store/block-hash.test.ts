import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { blockHashes, isZero, ZERO_ENTRY } from './block-hash.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();

/** What the map must hold, block by block: SHA-256, or 32 zero bytes for a block of zeros. */
function expected(data: Uint8Array, blockSize: number): Buffer {
  const entries: Buffer[] = [];
  for (let o = 0; o < data.length; o += blockSize) {
    const block = data.subarray(o, Math.min(data.length, o + blockSize));
    entries.push(block.every((b) => b === 0) ? ZERO_ENTRY : sha256(block));
  }
  return Buffer.concat(entries);
}

describe('blockHashes', () => {
  it('hashes data blocks and gives zero blocks the zero entry, wherever their first non-zero byte is', () => {
    const bs = 4096;
    const data = Buffer.alloc(8 * bs);
    randomBytes(bs).copy(data, 0); // data
    // block 1 stays zero; block 2 starts with zeros and differs only in its last byte
    data[3 * bs - 1] = 7;
    randomBytes(bs).copy(data, 4 * bs); // block 3 zero, block 4 data
    data[6 * bs] = 1; // block 6: only its first byte
    expect(blockHashes(data, bs).equals(expected(data, bs))).toBe(true);
  });

  it('answers a chunk of zeros with zero entries only', () => {
    const out = blockHashes(Buffer.alloc(1 << 20), 4096);
    expect(out.length).toBe(256 * 32);
    expect(isZero(out)).toBe(true);
  });

  it('hashes a short last block, blocks larger than the zero scan, and a plain Uint8Array view', () => {
    const big = 128 << 10;
    const data = new Uint8Array(3 * big + 1000);
    data.set(randomBytes(1000), 3 * big); // the short last block
    data[big + 100_000] = 9; // the second block: non-zero past the first 64 KiB only
    const view = new Uint8Array(data.buffer, 0, data.length);
    expect(blockHashes(view, big).equals(expected(data, big))).toBe(true);
  });
});

describe('isZero', () => {
  it('sees one non-zero byte anywhere, also past the first 64 KiB', () => {
    const data = Buffer.alloc(200_000);
    expect(isZero(data)).toBe(true);
    data[150_000] = 1;
    expect(isZero(data)).toBe(false);
    expect(isZero(data.subarray(0, 150_000))).toBe(true);
    expect(isZero(new Uint8Array(0))).toBe(true);
  });
});
