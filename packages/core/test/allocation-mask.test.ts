import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ALLOCATION_GRANULARITY,
  maskUnallocated,
  openDirStore,
  replicateDisk,
  type DiskSource,
  type Extent,
} from '../src/index.js';
import { blockHash } from '../src/store/block-hash.js';

const MiB = 1024 * 1024;

/** A volume in memory whose every byte is non-zero: free clusters hold what files left behind. */
function volume(sizeBytes: number) {
  const data = Buffer.alloc(sizeBytes, 0xa5);
  const asked: { reads: Extent[]; hashes: Extent[] } = { reads: [], hashes: [] };
  const source: DiskSource = {
    diskId: 'vol',
    sizeBytes,
    async *allocated() {
      yield { offset: 0, length: sizeBytes };
    },
    changedSince: async () => ({ kind: 'unknown', reason: 'no change journal' }),
    async read(e) {
      asked.reads.push(e);
      return Buffer.from(data.subarray(e.offset, e.offset + e.length));
    },
    async *hashBlocks(e, bs) {
      asked.hashes.push(e);
      for (let o = e.offset; o < e.offset + e.length; o += bs)
        yield blockHash(data.subarray(o, Math.min(o + bs, e.offset + e.length)));
    },
    close: async () => {},
  };
  return { data, asked, source };
}

const crash = { requested: 'crash', achieved: 'crash', basis: 'independent', skewMs: 0, frozenMs: 0 } as const;

describe('a disk masked by its file system allocation map', () => {
  it('plans only the map, rounded out to 64 KiB, and reads free space as zeros without asking', async () => {
    const v = volume(6 * MiB);
    // Clusters in use: 8 KiB at the start, and 1.5 MiB across the 3 MiB mark.
    const masked = maskUnallocated(v.source, [
      { offset: 0, length: 8192 },
      { offset: 2.75 * MiB, length: 1.5 * MiB },
    ]);
    const planned: Extent[] = [];
    for await (const e of masked.allocated()) planned.push(e);
    expect(ALLOCATION_GRANULARITY).toBe(64 * 1024);
    expect(planned).toEqual([
      { offset: 0, length: 64 * 1024 },
      { offset: 2.75 * MiB, length: 1.5 * MiB },
    ]);

    const whole = Buffer.from(await masked.read({ offset: 0, length: 6 * MiB }));
    expect(v.asked.reads).toEqual(planned);
    // In use, rounded: the bytes; free: zeros.
    expect(whole.subarray(0, 64 * 1024).equals(v.data.subarray(0, 64 * 1024))).toBe(true);
    expect(whole.subarray(64 * 1024, 2.75 * MiB).every((b) => b === 0)).toBe(true);
    expect(whole.subarray(2.75 * MiB, 4.25 * MiB).equals(v.data.subarray(2.75 * MiB, 4.25 * MiB))).toBe(true);
    expect(whole.subarray(4.25 * MiB).every((b) => b === 0)).toBe(true);

    const hashes: Buffer[] = [];
    for await (const h of masked.hashBlocks!({ offset: 0, length: 6 * MiB }, 4096)) hashes.push(Buffer.from(h));
    const all = Buffer.concat(hashes);
    expect(all.length).toBe(((6 * MiB) / 4096) * 32);
    expect(v.asked.hashes).toEqual(planned);
    // A free block hashes as the store's zero entry; a used one as its bytes.
    expect(all.subarray(256 * 32, 257 * 32).equals(Buffer.alloc(32))).toBe(true);
    expect(all.subarray(0, 32).equals(blockHash(v.data.subarray(0, 4096)))).toBe(true);
  });

  it('refuses a block size the rounding cannot keep whole', async () => {
    const masked = maskUnallocated(volume(2 * MiB).source, [{ offset: 0, length: 4096 }]);
    const hashes = masked.hashBlocks!({ offset: 0, length: 2 * MiB }, 3 * 4096);
    await expect(hashes[Symbol.asyncIterator]().next()).rejects.toThrow(/does not divide/);
  });

  it('sends only used space, and a resync after free space changed writes nothing', async () => {
    const v = volume(8 * MiB);
    const map = [{ offset: MiB, length: 2 * MiB }];
    const store = await openDirStore(await mkdtemp(join(tmpdir(), 'drkit-mask-')));
    const replicate = async (forceResync: boolean) => {
      const run = await store.beginRun({ diskKeys: ['vol'] });
      const disk = await replicateDisk(run, {
        key: 'vol',
        diskId: 'vol',
        name: 'vol',
        source: maskUnallocated(v.source, map),
        changeToken: 'shadow',
        forceResync,
      });
      const member = { machineId: 'm', name: 'm', adapter: 'test', snapshotId: 's', requested: 'crash' as const };
      const point = await run.commit({
        consistency: crash,
        members: [{ ...member, achieved: 'crash', warnings: [], disks: [disk] }],
        warnings: [],
      });
      return { disk, point };
    };
    const first = await replicate(false);
    expect(first.disk.mode).toBe('initial');
    expect(first.disk.bytesRead).toBe(2 * MiB);

    // Free space churns (a deleted file's clusters rewritten by the file system's own use),
    // one used block changes.
    v.data.fill(0x3c, 5 * MiB, 6 * MiB);
    v.data.fill(0x11, MiB + 4096, MiB + 8192);
    const second = await replicate(true);
    expect(second.disk.mode).toBe('resync');
    expect(second.disk.bytesWritten).toBe(4096);

    const out = await mkdtemp(join(tmpdir(), 'drkit-mask-out-'));
    const restored = await store.restore(second.point.id, out);
    const image = await readFile(restored.files[0]!.path);
    const expected = Buffer.alloc(8 * MiB);
    v.data.copy(expected, MiB, MiB, 3 * MiB);
    expect(image.equals(expected)).toBe(true);
    await store.close();
  });
});
