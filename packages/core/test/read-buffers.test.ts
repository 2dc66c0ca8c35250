import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diskKey, openDirStore, replicateDisk, type DiskSource, type Extent, type ReadOptions } from '../src/index.js';

const MiB = 1024 * 1024;

/** A disk in memory whose reads either fill the engine's buffer or return buffers the source keeps. */
// A buffer handed out again still holds the chunk it was last filled with: that is how the
// source tells a recycled buffer from a new one (JS has no addresses to compare).
function memorySource(image: Buffer, mode: 'fill-into' | 'keep-own'): DiskSource & { reused: number; fresh: number } {
  const served = new Set<string>();
  const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  return {
    diskId: 'd',
    sizeBytes: image.length,
    reused: 0,
    fresh: 0,
    async *allocated() {
      yield { offset: 0, length: image.length };
    },
    async changedSince() {
      return { kind: 'unknown', reason: 'resync' };
    },
    async read(e: Extent, o: ReadOptions = {}) {
      if (o.into) {
        if (served.has(digest(o.into))) this.reused++;
        else this.fresh++;
      }
      if (mode === 'fill-into' && o.into) {
        image.copy(o.into, 0, e.offset, e.offset + e.length);
        served.add(digest(o.into));
        return o.into;
      }
      const own = Buffer.from(image.subarray(e.offset, e.offset + e.length));
      served.add(digest(own));
      return own;
    },
    async close() {},
  };
}

async function replicateOnce(source: DiskSource, storeDir: string) {
  const store = await openDirStore(storeDir);
  const key = diskKey('m', 'd');
  const run = await store.beginRun({ diskKeys: [key] });
  const disk = await replicateDisk(
    run,
    { key, diskId: 'd', name: 'd', source },
    { chunkBytes: MiB, batchBytes: 2 * MiB },
  );
  const point = await run.commit({
    consistency: { requested: 'crash', achieved: 'crash', basis: 'independent', skewMs: 0, frozenMs: 0 },
    members: [
      {
        machineId: 'm',
        name: 'm',
        adapter: 'file',
        snapshotId: 's',
        requested: 'crash',
        achieved: 'crash',
        warnings: [],
        disks: [disk],
      },
    ],
    warnings: [],
  });
  const out = await store.restore(point.id, join(storeDir, `out-${point.id}`));
  const restored = await readFile(out.files[0]!.path);
  await store.close();
  return { disk, restored };
}

describe('read buffers the engine recycles', () => {
  it('hands a source the same few chunk buffers again once their data is written, and every point restores exactly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drkit-buffers-'));
    const first = randomBytes(32 * MiB);
    const a = memorySource(first, 'fill-into');
    expect((await replicateOnce(a, join(dir, 's'))).restored.equals(first)).toBe(true);
    // 32 chunks read through a few buffers: read-ahead plus one batch's worth, the rest recycled.
    expect(a.fresh + a.reused).toBe(32);
    expect(a.fresh).toBeLessThan(12);
    // A resync where a few blocks differ: those are copied out, so their chunks come back at once.
    const second = Buffer.from(first);
    for (let c = 0; c < 32; c++) randomBytes(4096).copy(second, c * MiB + 8192);
    const b = memorySource(second, 'fill-into');
    const { disk, restored } = await replicateOnce(b, join(dir, 's'));
    expect(disk.mode).toBe('resync');
    expect(disk.bytesWritten).toBe(32 * 4096);
    expect(restored.equals(second)).toBe(true);
    expect(b.fresh).toBeLessThan(8);
  });

  it('stops offering buffers to a source that returns its own, and never recycles that memory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drkit-buffers-'));
    const image = randomBytes(16 * MiB);
    const source = memorySource(image, 'keep-own');
    expect((await replicateOnce(source, join(dir, 's'))).restored.equals(image)).toBe(true);
    // Only the reads in flight before its first answer were offered one (each unused buffer is
    // GC pressure); none held data the source had handed out.
    expect(source.fresh).toBeGreaterThan(0);
    expect(source.fresh).toBeLessThanOrEqual(4);
    expect(source.reused).toBe(0);
  });
});
