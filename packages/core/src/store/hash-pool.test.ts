import { randomBytes } from 'node:crypto';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockCrcs, blockHashes, ZERO_ENTRY } from './block-hash.js';
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

  it('reads shared memory in place on a worker: the caller keeps its own Buffer, checksums as in-thread', async () => {
    const pool = new HashPool(2);
    const data = Buffer.from(new SharedArrayBuffer(16 * 4096 + 512));
    randomBytes(data.length).copy(data);
    const { data: hashed, hashes } = await pool.hash(data, 4096);
    expect(hashed).toBe(data);
    expect(hashes.equals(blockHashes(data, 4096))).toBe(true);
    const { data: checked, crcs } = await pool.crc(data, 4096);
    expect(checked).toBe(data);
    expect(crcs.equals(blockCrcs(data, 4096))).toBe(true);
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

  it('checks a range of a file on the worker: the same CRCs as in-thread, zeros past the file end, errors passed back', async () => {
    const pool = new HashPool(2);
    const path = join(await mkdtemp(join(tmpdir(), 'drkit-crcfile-')), 'replica.img');
    // 3 MiB of data, one zero block inside, the file ending mid-block; the range runs past its end.
    const data = randomBytes(3 * 1024 * 1024 + 1000);
    data.fill(0, 8192, 12288);
    writeFileSync(path, data);
    const fd = openSync(path, 'r');
    const range = 4 * 1024 * 1024;
    const expected = blockCrcs(Buffer.concat([data, Buffer.alloc(range - data.length)]), 4096);
    const crcs = await pool.crcFile(fd, data.length, 0, range, 4096);
    expect(crcs.equals(expected)).toBe(true);
    expect(crcs.readUInt32LE(2 * 4)).toBe(0); // the zero block
    expect(crcs.readUInt32LE(1023 * 4)).toBe(0); // past the end
    // An offset into the file, as verify asks chunk by chunk.
    expect(
      (await pool.crcFile(fd, data.length, 1024 * 1024, 1024 * 1024, 4096)).equals(expected.subarray(256 * 4, 512 * 4)),
    ).toBe(true);
    closeSync(fd);
    await expect(pool.crcFile(fd, data.length, 0, 4096, 4096)).rejects.toMatchObject({ code: 'EBADF' });
    await pool.close();
  });
});
