import { open, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDirStore, replicaKey, replicateDisk, createReferenceAdapter, type PointManifest } from '../src/index.js';
import { makeSite, randomWrites } from './reference-site-helper.js';
import { replicationHarness } from './replication-helper.js';

const MiB = 1024 * 1024;

/**
 * Runs a delta into the store up to the edge of its commit and stops there, as a crash
 * would: every block written and journaled, the run's intent still on disk.
 */
async function stagedButUncommitted(site: string, storeDir: string) {
  const adapter = createReferenceAdapter({ root: site });
  await adapter.connect();
  const prepared = await adapter.snapshots.prepare({ machineId: 'vm', consistency: 'crash', tag: 'drkit-test' });
  const snap = await adapter.snapshots.take(prepared);
  const source = await adapter.replication.openDisk(snap.id, 'vm', 'vm/os');
  const store = await openDirStore(storeDir);
  const key = replicaKey(adapter, 'vm', 'vm/os');
  const run = await store.beginRun({ diskKeys: [key] });
  const disk = await replicateDisk(run, {
    key,
    diskId: 'vm/os',
    name: 'os',
    source,
    changeToken: snap.changeTokens['vm/os'],
  });
  await source.close();
  await store.close(); // the process "dies" here: no commit
  return { disk, snap };
}

describe('a crash in the commit window', () => {
  it('after every block landed but before the manifest: the store rolls the run back to the last point', async () => {
    const site = await makeSite({ vm: { disks: { os: 4 * MiB } } });
    const h = await replicationHarness(site);
    const first = (await h.replicate()).point;
    const before = await readFile(join(site, 'vm', 'os.img'));
    await randomWrites(site, 'vm', 'os', 4 * MiB, 200);
    const { disk } = await stagedButUncommitted(site, h.storeDir);
    expect(disk.bytesWritten).toBeGreaterThan(0);

    const store = await h.store();
    expect((await store.listPoints()).map((p) => p.id)).toEqual([first.id]);
    expect((await store.verify()).every((v) => v.ok)).toBe(true);
    await store.close();
    expect((await h.restore(first.id)).get('vm/os')!.equals(before)).toBe(true);
  });

  it('after the manifest was written but before the journals moved: the store rolls the run forward', async () => {
    const site = await makeSite({ vm: { disks: { os: 4 * MiB } } });
    const h = await replicationHarness(site);
    const first = (await h.replicate()).point;
    const before = await readFile(join(site, 'vm', 'os.img'));
    await randomWrites(site, 'vm', 'os', 4 * MiB, 200);
    const after = await readFile(join(site, 'vm', 'os.img'));
    const { disk, snap } = await stagedButUncommitted(site, h.storeDir);
    // Publish the manifest as the commit's first step would, and "crash" before the rest.
    const intent = JSON.parse(await readFile(join(h.storeDir, 'run.json'), 'utf8')) as { pointId: string };
    const manifest: PointManifest = {
      format: 'drkit-point/1',
      id: intent.pointId,
      seq: 2,
      createdAt: new Date().toISOString(),
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
    };
    await writeFile(join(h.storeDir, 'points', `00000002-${intent.pointId}.json`), JSON.stringify(manifest));

    const store = await h.store();
    const points = await store.listPoints();
    expect(store.warnings.join()).toMatch(/completed the commit/);
    expect(points.map((p) => p.id)).toEqual([first.id, intent.pointId]);
    expect(await readdir(join(h.storeDir, 'staging'))).toEqual([]);
    expect((await store.verify()).every((v) => v.ok)).toBe(true);
    await store.close();
    expect((await h.restore(first.id)).get('vm/os')!.equals(before)).toBe(true);
    expect((await h.restore(intent.pointId)).get('vm/os')!.equals(after)).toBe(true);
  });

  it("where a crash kept a block's new map entry but not its new data, a resumed run still lands the data", async () => {
    const site = await makeSite({ vm: { disks: { os: 4 * MiB } } });
    const h = await replicationHarness(site);
    const first = (await h.replicate()).point;
    const old = await readFile(join(site, 'vm', 'os.img'));
    const offsets = await randomWrites(site, 'vm', 'os', 4 * MiB, 50);
    const { disk } = await stagedButUncommitted(site, h.storeDir);
    // Put the old bytes of one changed block back under its (new) map entry, as a power
    // loss that kept the map write and lost the data write would. (Not through the store:
    // reading a store settles — rolls back — an interrupted run.)
    const replica = join(h.storeDir, 'disks', disk.key, 'replica.img');
    const f = await open(replica, 'r+');
    await f.write(old, offsets[0]!, 4096, offsets[0]!);
    await f.close();

    const resumed = await h.replicate();
    expect(resumed.resumed).toBe(true);
    expect(await h.everyPointVerifies()).toBe(true);
    expect((await h.restore(resumed.point.id)).get('vm/os')!.equals(await readFile(join(site, 'vm', 'os.img')))).toBe(
      true,
    );
    expect((await h.restore(first.id)).get('vm/os')!.equals(old)).toBe(true);
  });
});
