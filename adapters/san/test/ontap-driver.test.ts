import { afterEach, describe, expect, it } from 'vitest';
import { collectInventory, takeGroupPoint, DrkitError } from '@drkit/core';
import { createHttpTransport } from '@drkit/http';
import { startFakeOntap, type FakeOntap, type FakeOntapOptions } from '../../../test/harness/fake-ontap.js';
import { createSanAdapter, ontapLunWwn, type SanAdapter } from '../src/index.js';

// Against the mock ONTAP cluster of test/harness (no ONTAP simulator exists).
let ontap: FakeOntap | undefined;
afterEach(async () => {
  await ontap?.stop();
  ontap = undefined;
});

async function connected(options: FakeOntapOptions = {}, password?: string): Promise<SanAdapter> {
  ontap = await startFakeOntap(options);
  const o = ontap;
  const adapter = createSanAdapter({
    family: 'ontap',
    transport: createHttpTransport({ url: o.url }),
    endpoint: 'ontap://admin@cluster1',
    username: o.username,
    secret: async () => password ?? o.password,
  });
  await adapter.connect();
  return adapter;
}

const code = (c: string) => (e: unknown) => DrkitError.isInstance(e) && e.code === c;

describe('ONTAP driver', () => {
  it('reads every page of every collection: consistency groups become machines whose disks are their LUNs', async () => {
    const adapter = await connected({ pageSize: 1 });
    const inv = await collectInventory(adapter.site, adapter.discover());
    expect(inv.machines.map((m) => m.name).sort()).toEqual(['cg_db', 'cg_web']);
    const db = inv.machines.find((m) => m.name === 'cg_db')!;
    expect(db.disks.map((d) => d.path).sort()).toEqual(['/vol/db_data/lun0', '/vol/db_log/lun0']);
    // NetApp NAA prefix + the serial's ASCII in hex: what a Linux host's lsblk shows.
    expect(db.disks.find((d) => d.path === '/vol/db_data/lun0')!.wwn).toBe(
      `naa.600a0980${Buffer.from('wCVovB3Ds7Lk').toString('hex')}`,
    );
    expect(inv.storage).toHaveLength(4);
    expect(inv.hosts.map((h) => h.name).sort()).toEqual(['db_hosts', 'web_hosts']);
    // The scratch LUN is in no consistency group: said, not silently dropped.
    expect(inv.warnings.join('\n')).toMatch(/1 volume\(s\) are in no consistency group.*lun0/);
    // Paging followed the next links: one record per answer, several answers.
    expect(ontap!.log.filter((l) => l.startsWith('GET /api/storage/luns')).length).toBe(4);
    expect(ontap!.log.some((l) => l.includes('start.index=3'))).toBe(true);
  });

  it('declares two-phase snapshots from 9.11 and only one-phase ones on 9.10', async () => {
    expect((await connected()).capabilities.snapshot.mechanisms).toEqual(['ontap-cg-snapshot', 'ontap-cg-two-phase']);
    await ontap!.stop();
    const old = await connected({ version: [9, 10, 1] });
    expect(old.capabilities.snapshot.mechanisms).toEqual(['ontap-cg-snapshot']);
    const machineId = `${old.site.instanceId}/group/${await groupUuid(old, 'cg_web')}`;
    const prepared = await old.snapshots.prepare({ machineId, consistency: 'crash', tag: 'drkit-one-phase' });
    expect(prepared.frozenAt).toBeUndefined();
    const taken = await old.snapshots.take(prepared);
    expect(ontap!.log.filter((l) => l.includes('action=start'))).toEqual([]);
    expect(ontap!.snapshotsOf('cg_web')).toEqual(['drkit-one-phase']);
    await old.snapshots.delete(taken);
  });

  it('refuses ONTAP before 9.10 with UnsupportedError, and a wrong password as auth-failed without retrying', async () => {
    ontap = await startFakeOntap({ version: [9, 9, 1] });
    const o = ontap;
    const old = createSanAdapter({
      family: 'ontap',
      transport: createHttpTransport({ url: o.url }),
      endpoint: 'ontap://admin@c',
      username: o.username,
      secret: async () => o.password,
    });
    await expect(old.connect()).rejects.toSatisfy(code('unsupported'));
    await o.stop();
    await expect(connected({}, 'wrong')).rejects.toSatisfy(
      (e: unknown) =>
        code('auth-failed')(e) &&
        /not authorized/.test((e as Error).message) &&
        !(e as Error).message.includes('wrong'),
    );
    expect(ontap!.log.filter((l) => l.startsWith('GET /api/cluster?'))).toHaveLength(1);
  });

  it('fences the group in prepare, commits in take, and follows every job to its end', async () => {
    const adapter = await connected({ jobPolls: 3 });
    const machineId = `${adapter.site.instanceId}/group/${await groupUuid(adapter, 'cg_db')}`;
    const before = Date.now();
    const prepared = await adapter.snapshots.prepare({
      machineId,
      consistency: 'crash',
      tag: 'drkit-fenced',
      freezeDeadline: Date.now() + 6000,
    });
    expect(prepared.frozenAt).toBeGreaterThanOrEqual(before);
    expect(ontap!.log.find((l) => l.includes('action=start'))).toMatch(/action_timeout=6\b/);
    expect(ontap!.snapshotsOf('cg_db')).toEqual([]); // started, not committed
    const taken = await adapter.snapshots.take(prepared);
    await adapter.snapshots.release(prepared);
    expect(ontap!.snapshotsOf('cg_db')).toEqual(['drkit-fenced']);
    expect(taken.disks).toHaveLength(2);
    // Three `running` answers per job before it ended: start, commit.
    expect(ontap!.log.filter((l) => l.startsWith('GET /api/cluster/jobs/')).length).toBe(8);
  });

  it('removes a started snapshot that is released without a commit', async () => {
    const adapter = await connected();
    const machineId = `${adapter.site.instanceId}/group/${await groupUuid(adapter, 'cg_web')}`;
    const prepared = await adapter.snapshots.prepare({ machineId, consistency: 'crash', tag: 'drkit-abandoned' });
    expect(ontap!.pendingStarts()).toEqual(['drkit-abandoned']);
    await adapter.snapshots.release(prepared);
    expect(ontap!.pendingStarts()).toEqual([]);
    expect(ontap!.snapshotsOf('cg_web')).toEqual([]);
  });

  it('rolls the whole group point back when one commit fails, and leaves no started snapshot behind', async () => {
    const adapter = await connected();
    const db = `${adapter.site.instanceId}/group/${await groupUuid(adapter, 'cg_db')}`;
    const web = `${adapter.site.instanceId}/group/${await groupUuid(adapter, 'cg_web')}`;
    ontap!.failNextCommit('cg_web');
    const warnings: string[] = [];
    const attempt = takeGroupPoint({
      members: [
        { adapter, machineId: db, name: 'cg_db' },
        { adapter, machineId: web, name: 'cg_web' },
      ],
      consistency: 'crash',
      tag: 'drkit-rollback',
      onProgress: (e) => e.kind === 'warning' && warnings.push(e.message),
    });
    await expect(attempt).rejects.toThrow(/cg_web \(take\).*volume in the group is offline/);
    expect(ontap!.snapshotsOf('cg_db')).toEqual([]);
    expect(ontap!.snapshotsOf('cg_web')).toEqual([]);
    expect(ontap!.pendingStarts()).toEqual([]);
    expect(await adapter.snapshots.listTagged('drkit-rollback')).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('says a two-CG point is one fenced instant: shared-freeze, crash-consistent', async () => {
    const adapter = await connected();
    const members = await Promise.all(
      ['cg_db', 'cg_web'].map(async (name) => ({
        adapter,
        name,
        machineId: `${adapter.site.instanceId}/group/${await groupUuid(adapter, name)}`,
      })),
    );
    const point = await takeGroupPoint({ members, consistency: 'crash', tag: 'drkit-together' });
    expect(point.statement).toMatchObject({ requested: 'crash', achieved: 'crash', basis: 'shared-freeze' });
    // Every start before the first commit: the fence spans both groups.
    const firstCommit = ontap!.log.findIndex((l) => l.includes('action=commit'));
    expect(
      ontap!.log
        .map((l, i) => (l.includes('action=start') ? i : -1))
        .filter((i) => i >= 0)
        .every((i) => i < firstCommit),
    ).toBe(true);
    expect(ontap!.snapshotsOf('cg_db')).toEqual(['drkit-together']);
    expect(ontap!.snapshotsOf('cg_web')).toEqual(['drkit-together']);
  });

  it('waits out 429 and 503 answers for as long as Retry-After says, then carries on', async () => {
    const adapter = await connected();
    ontap!.busyOnce({ method: 'GET', path: /^\/api\/storage\/luns$/, status: 503, retryAfter: '1' });
    ontap!.busyOnce({
      method: 'GET',
      path: /^\/api\/application\/consistency-groups$/,
      status: 429,
      retryAfter: new Date(Date.now() + 1000).toUTCString(),
    });
    const started = Date.now();
    const inv = await collectInventory(adapter.site, adapter.discover());
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(inv.machines).toHaveLength(2);
  });

  it('reads SnapMirror state, updates, fails over (quiesce, break) and resyncs', async () => {
    const adapter = await connected();
    const [link] = await adapter.arrayReplication.links();
    expect(link).toMatchObject({
      source: 'svm1:/cg/cg_db',
      target: 'svm_dr:/cg/cg_db_dst',
      state: 'idle',
      rawState: 'snapmirrored',
      healthy: true,
      lagSeconds: 912,
    });
    expect(link!.groupId).toBe(await groupUuid(adapter, 'cg_db'));
    await adapter.arrayReplication.update(link!.id);
    expect((await adapter.arrayReplication.links())[0]!.lagSeconds).toBe(1);
    await expect(adapter.arrayReplication.resync(link!.id)).rejects.toSatisfy(code('invalid-state'));
    await adapter.arrayReplication.failover(link!.id);
    expect(ontap!.relationshipState()).toBe('broken_off');
    expect(ontap!.log.filter((l) => l.startsWith('PATCH /api/snapmirror'))).toHaveLength(2);
    expect((await adapter.arrayReplication.links())[0]).toMatchObject({ state: 'broken-off', healthy: false });
    await adapter.arrayReplication.resync(link!.id);
    expect(ontap!.relationshipState()).toBe('snapmirrored');
  });

  it('protects a consistency group with a new SnapMirror relationship, provisioned and initialized by ONTAP', async () => {
    const adapter = await connected();
    const web = await groupUuid(adapter, 'cg_web');
    await expect(adapter.arrayReplication.create(web, { name: 'svm_unpeered' })).rejects.toThrow(
      /SVM peer relationship/,
    );
    const link = await adapter.arrayReplication.create(web, { name: 'svm_dr' });
    expect(link).toMatchObject({
      groupId: web,
      source: 'svm1:/cg/cg_web',
      target: 'svm_dr:/cg/cg_web_dr',
      state: 'idle',
      healthy: true,
    });
    const post = ontap!.log.filter((l) => l === 'POST /api/snapmirror/relationships');
    expect(post).toHaveLength(2);
    expect((await adapter.arrayReplication.links()).map((l) => l.target).sort()).toEqual([
      'svm_dr:/cg/cg_db_dst',
      'svm_dr:/cg/cg_web_dr',
    ]);
  });

  it('spells a LUN serial as the NAA id hosts see, and nothing for a malformed serial', () => {
    expect(ontapLunWwn('80DQt]JAx6Mx')).toBe(`naa.600a0980${Buffer.from('80DQt]JAx6Mx').toString('hex')}`);
    expect(ontapLunWwn('short')).toBeUndefined();
    expect(ontapLunWwn(undefined)).toBeUndefined();
  });
});

async function groupUuid(adapter: SanAdapter, name: string): Promise<string> {
  for await (const item of adapter.discover({ kinds: ['machine'] }))
    if (item.kind === 'machine' && item.machine.name === name) return item.machine.nativeId;
  throw new Error(`no group ${name}`);
}
