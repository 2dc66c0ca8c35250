import { open, readFile, stat, writeFile, appendFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DrkitError,
  openDirStore,
  replicateDisk,
  createReferenceAdapter,
  replicaKey,
  type DiskSource,
} from '../src/index.js';
import { blockHash } from '../src/store/block-hash.js';
import { makeSite, randomWrites } from './reference-site-helper.js';
import { replicationHarness } from './replication-helper.js';

const MiB = 1024 * 1024;

describe('replication into a dir: store', () => {
  it('restores every point byte-identical to the source at that point, after random writes between runs', async () => {
    const site = await makeSite({ web: { disks: { os: 2 * MiB } }, db: { disks: { os: 1 * MiB, data: 3 * MiB } } });
    const h = await replicationHarness(site);
    const history: Array<{ id: string; images: Map<string, Buffer> }> = [];
    for (let run = 0; run < 5; run++) {
      if (run > 0) {
        await randomWrites(site, 'web', 'os', 2 * MiB, 20);
        await randomWrites(site, 'db', 'data', 3 * MiB, 40);
      }
      const { point } = await h.replicate();
      expect(point.members.flatMap((m) => m.disks.map((d) => d.mode))).toEqual(
        run === 0 ? ['initial', 'initial', 'initial'] : ['delta', 'delta', 'delta'],
      );
      history.push({ id: point.id, images: await h.sourceImages() });
    }
    for (const { id, images } of history.sort(() => Math.random() - 0.5)) {
      const restored = await h.restore(id);
      expect([...restored.keys()].sort()).toEqual([...images.keys()].sort());
      for (const [k, v] of images) expect(restored.get(k)!.equals(v), `${k} at ${id}`).toBe(true);
    }
  });

  it('writes only changed blocks on a delta, plus their undo: about twice the changed bytes', async () => {
    const site = await makeSite({ vm: { disks: { os: 8 * MiB } } });
    const h = await replicationHarness(site);
    await h.replicate();
    const changed = await randomWrites(site, 'vm', 'os', 8 * MiB, 50);
    const { point } = await h.replicate();
    const disk = point.members[0]!.disks[0]!;
    expect(disk.mode).toBe('delta');
    expect(disk.bytesWritten).toBe(changed.length * 4096);
    expect(disk.bytesRead).toBe(changed.length * 4096);
    const undo = await stat(
      join(h.storeDir, 'journals', (await (await h.store()).listPoints())[0]!.id, `${disk.key}.undo`),
    );
    expect(undo.size).toBeLessThan(changed.length * (4096 + 40) + 64);
  });

  it('resyncs by checksums, writing only what differs, when writes bypassed change tracking', async () => {
    const site = await makeSite({ vm: { disks: { os: 4 * MiB } } });
    const h = await replicationHarness(site);
    await h.replicate();
    const f = await open(join(site, 'vm', 'os.img'), 'r+');
    await f.write(Buffer.alloc(4096, 7), 0, 4096, 40960);
    await f.close();
    const { point } = await h.replicate();
    const disk = point.members[0]!.disks[0]!;
    expect(disk.mode).toBe('resync');
    expect(disk.resyncReason).toMatch(/change log restarted/);
    expect(disk.bytesWritten).toBe(4096);
    expect((await h.restore(point.id)).get('vm/os')!.equals(await readFile(join(site, 'vm', 'os.img')))).toBe(true);
  });

  it('a change-tracking state torn by a killed process reads as lost tracking: the next run resyncs, nothing fails', async () => {
    const site = await makeSite({ vm: { disks: { os: 4 * MiB } } });
    const h = await replicationHarness(site);
    await h.replicate();
    await randomWrites(site, 'vm', 'os', 4 * MiB, 10);
    // What a SIGKILL between truncating and writing the state file left (before it was replaced whole).
    await writeFile(join(site, 'vm', '.cbt', 'os.state'), '');
    const { point } = await h.replicate();
    expect(point.members[0]!.disks[0]!.mode).toBe('resync');
    expect((await h.restore(point.id)).get('vm/os')!.equals(await readFile(join(site, 'vm', 'os.img')))).toBe(true);
  });

  it('resyncs when a disk grows or shrinks, and older points keep their own size', async () => {
    const site = await makeSite({ vm: { disks: { os: 2 * MiB } } });
    const h = await replicationHarness(site);
    const first = (await h.replicate()).point;
    const original = await readFile(join(site, 'vm', 'os.img'));
    await appendFile(join(site, 'vm', 'os.img'), Buffer.alloc(MiB, 3));
    const grown = (await h.replicate()).point;
    expect(grown.members[0]!.disks[0]!).toMatchObject({ mode: 'resync', sizeBytes: 3 * MiB });
    await truncate(join(site, 'vm', 'os.img'), MiB);
    const shrunk = (await h.replicate()).point;
    expect(shrunk.members[0]!.disks[0]!.sizeBytes).toBe(MiB);
    expect((await h.restore(first.id)).get('vm/os')!.equals(original)).toBe(true);
    expect((await h.restore(grown.id)).get('vm/os')!.length).toBe(3 * MiB);
    expect((await h.restore(shrunk.id)).get('vm/os')!.equals(original.subarray(0, MiB))).toBe(true);
  });

  it('with a source that hashes next to the data, a resync reads only the blocks that differ', async () => {
    const site = await makeSite({ vm: { disks: { os: 4 * MiB } } });
    const h = await replicationHarness(site);
    await h.replicate();
    const changed = await randomWrites(site, 'vm', 'os', 4 * MiB, 10);
    // Test double: the reference source plus hashBlocks computed from the same snapshot file,
    // standing in for hashing over SSH.
    const adapter = createReferenceAdapter({ root: site });
    await adapter.connect();
    const prepared = await adapter.snapshots.prepare({ machineId: 'vm', consistency: 'crash', tag: 'drkit-test' });
    const snap = await adapter.snapshots.take(prepared);
    const inner = await adapter.replication.openDisk(snap.id, 'vm', 'vm/os');
    const hashing: DiskSource = {
      ...inner,
      diskId: inner.diskId,
      sizeBytes: inner.sizeBytes,
      async *hashBlocks(extent, bs) {
        const data = Buffer.from(await inner.read(extent));
        for (let o = 0; o < data.length; o += bs) yield blockHash(data.subarray(o, o + bs));
      },
    };
    let read = 0;
    const counting: DiskSource = {
      ...hashing,
      read: async (e, o) => {
        read += e.length;
        return inner.read(e, o);
      },
    };
    const store = await openDirStore(h.storeDir);
    const key = replicaKey(adapter, 'vm', 'vm/os');
    const run = await store.beginRun({ diskKeys: [key] });
    const disk = await replicateDisk(run, {
      key,
      diskId: 'vm/os',
      name: 'os',
      source: counting,
      changeToken: snap.changeTokens['vm/os'],
      forceResync: true,
    });
    await run.commit({
      consistency: { requested: 'crash', achieved: 'crash', basis: 'independent', skewMs: 0, frozenMs: 0 },
      members: [
        {
          machineId: 'vm',
          name: 'vm',
          adapter: 'file',
          snapshotId: snap.id,
          requested: 'crash',
          achieved: 'crash',
          warnings: [],
          disks: [disk],
        },
      ],
      warnings: [],
    });
    await store.close();
    expect(disk.mode).toBe('resync');
    expect(read).toBe(changed.length * 4096);
    expect(disk.bytesWritten).toBe(changed.length * 4096);
  });

  it('a run interrupted mid-transfer leaves a store whose every listed point restores, and the next run resumes it', async () => {
    const site = await makeSite({ vm: { disks: { os: 8 * MiB } } });
    const h = await replicationHarness(site);
    const first = (await h.replicate()).point;
    await randomWrites(site, 'vm', 'os', 8 * MiB, 400);
    await expect(
      h.replicate({ faults: [{ phase: 'read', afterBytes: 600 * 1024, code: 'unreachable' }] }),
    ).rejects.toSatisfy((e: unknown) => DrkitError.isInstance(e) && e.code === 'unreachable');
    expect(await stat(join(h.storeDir, 'run.json')).then(() => true)).toBe(true);
    const resumed = await h.replicate();
    expect(resumed.resumed).toBe(true);
    expect((await h.restore(resumed.point.id)).get('vm/os')!.equals(await readFile(join(site, 'vm', 'os.img')))).toBe(
      true,
    );
    expect(await h.everyPointVerifies()).toBe(true);
    expect(first.id).not.toBe(resumed.point.id);
  });

  it('rolls an interrupted run back when the store is read before any resume', async () => {
    const site = await makeSite({ vm: { disks: { os: 4 * MiB } } });
    const h = await replicationHarness(site);
    const first = (await h.replicate()).point;
    const before = await readFile(join(site, 'vm', 'os.img'));
    await randomWrites(site, 'vm', 'os', 4 * MiB, 300);
    await expect(
      h.replicate({ faults: [{ phase: 'read', afterBytes: 300 * 1024, code: 'unreachable' }] }),
    ).rejects.toThrow();
    const store = await h.store();
    const points = await store.listPoints();
    expect(points.map((p) => p.id)).toEqual([first.id]);
    expect(store.warnings.join()).toMatch(/rolled back run/);
    expect((await store.verify()).every((v) => v.ok)).toBe(true);
    await store.close();
    expect((await h.restore(first.id)).get('vm/os')!.equals(before)).toBe(true);
  });

  it('prunes the oldest points: the store shrinks and every remaining point still restores', async () => {
    const site = await makeSite({ vm: { disks: { os: 4 * MiB } } });
    const h = await replicationHarness(site);
    const kept: Array<{ id: string; image: Buffer }> = [];
    for (let i = 0; i < 6; i++) {
      if (i > 0) await randomWrites(site, 'vm', 'os', 4 * MiB, 64);
      const { point } = await h.replicate();
      kept.push({ id: point.id, image: await readFile(join(site, 'vm', 'os.img')) });
    }
    const store = await h.store();
    const result = await store.prune({ keep: 3 });
    expect(result.removed).toEqual(kept.slice(0, 3).map((k) => k.id));
    expect(result.freedBytes).toBeGreaterThanOrEqual(3 * 60 * 4096);
    expect((await store.listPoints()).map((p) => p.id)).toEqual(kept.slice(3).map((k) => k.id));
    await store.close();
    for (const k of kept.slice(3)) expect((await h.restore(k.id)).get('vm/os')!.equals(k.image)).toBe(true);
  });

  it('detects a corrupted replica on verify and refuses to restore from it', async () => {
    const site = await makeSite({ vm: { disks: { os: 1 * MiB } } });
    const h = await replicationHarness(site);
    const { point } = await h.replicate();
    const replica = join(h.storeDir, 'disks', point.members[0]!.disks[0]!.key, 'replica.img');
    const f = await open(replica, 'r+');
    await f.write(Buffer.from([0xff ^ (await readFile(replica))[12345]!]), 0, 1, 12345);
    await f.close();
    const store = await h.store();
    const [result] = await store.verify(point.id);
    await store.close();
    expect(result!.ok).toBe(false);
    await expect(h.restore(point.id)).rejects.toSatisfy(
      (e: unknown) => DrkitError.isInstance(e) && e.code === 'integrity',
    );
  });

  it('refuses a second process on the same store', async () => {
    const dir = (await replicationHarness(await makeSite({ vm: { disks: { os: 64 * 1024 } } }))).storeDir;
    const a = await openDirStore(dir);
    await writeFile(join(dir, 'lock'), '1'); // pid 1 is always alive
    await expect(openDirStore(dir)).rejects.toSatisfy((e: unknown) => DrkitError.isInstance(e) && e.code === 'busy');
    await a.close();
  });
});

describe('verification catches corruption wherever it is', () => {
  async function twoPoints() {
    const site = await makeSite({ vm: { disks: { os: 1 * MiB } } });
    const h = await replicationHarness(site);
    const first = (await h.replicate()).point;
    await randomWrites(site, 'vm', 'os', 1 * MiB, 20);
    const second = (await h.replicate()).point;
    return { h, first, second, key: first.members[0]!.disks[0]!.key };
  }
  const flip = async (path: string, at: number) => {
    const f = await open(path, 'r+');
    const b = Buffer.alloc(1);
    await f.read(b, 0, 1, at);
    b[0] = b[0]! ^ 0xff;
    await f.write(b, 0, 1, at);
    await f.close();
  };

  it('a damaged undo journal fails the older point, and only it', async () => {
    const { h, first, second, key } = await twoPoints();
    await flip(join(h.storeDir, 'journals', first.id, `${key}.undo`), 32 + 8 + 32 + 100);
    const store = await h.store();
    const results = await store.verify();
    await store.close();
    expect(results.map((r) => [r.pointId, r.ok])).toEqual([
      [first.id, false],
      [second.id, true],
    ]);
    expect(results[0]!.disks[0]!.actual).toMatch(/undo journal/);
  });

  it('a damaged checksum map no longer matches the manifest root', async () => {
    const { h, second, key } = await twoPoints();
    await flip(join(h.storeDir, 'disks', key, 'blocks.map'), 5 * 32 + 3);
    const store = await h.store();
    const [result] = await store.verify(second.id);
    await store.close();
    expect(result!.ok).toBe(false);
    expect(result!.disks[0]!.actual).toMatch(/checksum root/);
  });
});
