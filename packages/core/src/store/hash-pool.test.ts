import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { blockHashes, ZERO_ENTRY } from './block-hash.js';
import { HashPool, ownedBuffer } from './hash-pool.js';

describe('the worker hash pool', () => {
  it('computes exactly what the in-thread hashing does, zero blocks as 32 zero bytes, and hands the data back', async () => {
    const pool = new HashPool(2);
    const data = ownedBuffer(64 * 4096 + 100).fill(0); // owned buffers are not zeroed
    randomBytes(32 * 4096).copy(data, 0); // the rest stays zero, last block short
    const expected = blockHashes(Buffer.from(data), 4096);
    const copy = Buffer.from(data);
    const { data: back, hashes } = await pool.hash(data, 4096);
    expect(hashes.equals(expected)).toBe(true);
    expect(hashes.subarray(40 * 32, 41 * 32).equals(ZERO_ENTRY)).toBe(true);
    expect(back.equals(copy)).toBe(true);
    await pool.close();
  });

  it('hashes a buffer it cannot transfer (a slice) in the calling thread instead', async () => {
    const pool = new HashPool(1);
    const whole = randomBytes(3 * 4096);
    const slice = whole.subarray(4096);
    const { hashes } = await pool.hash(slice, 4096);
    expect(hashes.equals(blockHashes(slice, 4096))).toBe(true);
    await pool.close();
  });
});
