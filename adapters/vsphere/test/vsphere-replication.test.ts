import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectInventory, openDirStore, replicateGroup, takeGroupPoint, type Machine } from '@drkit/core';
import { createHttpTransport, type HttpTransport } from '@drkit/http';
import { startVcsim, type Vcsim } from '../../../test/harness/vcsim.js';
import { powerOff, putDatastoreFile, withAdminSession } from '../../../test/harness/vsphere-admin.js';
import { createVSphereAdapter } from '../src/index.js';

// govmomi's vCenter simulator, live: snapshots through CreateSnapshot_Task, disks read over
// /folder with Range. Its VM disks' flat extents (`<disk>-flat.vmdk`) start empty, so the
// test PUTs data into them, where a real ESXi keeps a disk's data.
const flat = (path: string) => path.replace(/\.vmdk$/, '-flat.vmdk');

describe('vSphere snapshots and disk replication against the simulator', () => {
  let sim: Vcsim;
  let machines: Machine[];
  const adapter = () =>
    createVSphereAdapter({
      transport: createHttpTransport({ url: sim.origin, tls: { mode: 'pin', sha256: sim.thumbprint } }),
      credentials: { username: sim.username, password: async () => sim.password },
      endpoint: 'vsphere://sim',
    });
  beforeAll(async () => {
    sim = await startVcsim({ clusters: 1, hostsPerCluster: 1, standaloneHosts: 0, vmsPerPool: 3, toolsRunning: true });
    const a = adapter();
    await a.connect();
    machines = (await collectInventory(a.site, a.discover({ kinds: ['machine'] }))).machines;
    await a.close();
  });
  afterAll(() => sim?.stop());

  it('replicates, then replicates again after the disk changed, and restores both points byte for byte', async () => {
    const vm = machines[0]!;
    const disk = vm.disks[0]!;
    const first = randomBytes(disk.capacityBytes);
    await putDatastoreFile(sim, flat(disk.path!), first);
    const dir = await mkdtemp(join(tmpdir(), 'drkit-vsphere-'));
    const store = await openDirStore(join(dir, 'store'));
    const a = adapter();
    await a.connect();
    try {
      const run1 = await replicateGroup({
        members: [{ adapter: a, machineId: vm.id, name: vm.name }],
        consistency: 'app',
        store,
      });
      expect(run1.point.consistency).toMatchObject({ achieved: 'app' });
      const second = Buffer.from(first);
      randomBytes(64 * 1024).copy(second, 256 * 1024);
      await putDatastoreFile(sim, flat(disk.path!), second);
      const run2 = await replicateGroup({
        members: [{ adapter: a, machineId: vm.id, name: vm.name }],
        consistency: 'crash',
        store,
      });
      // No changed-block tracking in the simulator: the second run resyncs by checksums.
      expect(run2.point.members[0]!.disks[0]!.mode).toBe('resync');
      for (const [point, expected] of [
        [run1.point, first],
        [run2.point, second],
      ] as const) {
        const out = await store.restore(point.id, join(dir, `out-${point.id}`));
        expect((await readFile(out.files[0]!.path)).equals(expected), point.id).toBe(true);
      }
      // Snapshots were removed after each run: nothing tagged is left on the VM.
      expect(await a.snapshots.listTagged(run1.group.tag)).toEqual([]);
      expect(await a.snapshots.listTagged(run2.group.tag)).toEqual([]);
    } finally {
      await a.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes an app-consistent point of three VMs only if every one can quiesce: one powered off fails it, or makes it crash by policy', async () => {
    const three = machines.slice(0, 3);
    await powerOff(sim, three[2]!.nativeId);
    const a = adapter();
    await a.connect();
    try {
      const members = three.map((m) => ({ adapter: a, machineId: m.id, name: m.name }));
      await expect(takeGroupPoint({ members, consistency: 'app', tag: 'drkit-required' })).rejects.toThrow(
        new RegExp(`app-consistent point not achieved \\(${three[2]!.name}: the VM was poweredOff`),
      );
      // The two good snapshots were rolled back with it.
      expect(await a.snapshots.listTagged('drkit-required')).toEqual([]);
      const point = await takeGroupPoint({ members, consistency: 'app', policy: 'fallback-to-crash' });
      expect(point.members.map((m) => m.snapshot.achieved)).toEqual(['app', 'app', 'crash']);
      // The simulator writes no VSS manifest: file-system quiescing, and the snapshot says so.
      expect(point.members[0]!.snapshot.warnings.join()).toMatch(/file-system level/);
      expect(point.statement).toMatchObject({ requested: 'app', achieved: 'crash', basis: 'independent' });
      expect(point.statement.reason).toMatch(/poweredOff/);
      for (const m of point.members) await a.snapshots.delete(m.snapshot);
      expect(await a.snapshots.listTagged(point.tag)).toEqual([]);
    } finally {
      await a.close();
    }
  });

  it('turns changed-block tracking on and runs the stun cycle that starts it', async () => {
    const vm = machines[1]!;
    const a = adapter();
    await a.connect();
    try {
      expect(vm.disks[0]!.changeTracking).not.toBe(true);
      await a.native.changeTracking.enable(vm.id);
      const after = (await collectInventory(a.site, a.discover({ kinds: ['machine'] }))).machines.find(
        (m) => m.id === vm.id,
      )!;
      expect(after.disks.every((d) => d.changeTracking === true)).toBe(true);
      // The stun snapshot is gone again: the VM has no snapshot at all.
      const tree = await withAdminSession(sim, (client) =>
        client.invoke(
          'RetrievePropertiesEx',
          { type: 'PropertyCollector', value: 'propertyCollector' },
          `<specSet><propSet><type>VirtualMachine</type><pathSet>snapshot</pathSet></propSet><objectSet><obj type="VirtualMachine">${vm.nativeId}</obj></objectSet></specSet><options/>`,
        ),
      );
      expect(JSON.stringify(tree)).not.toContain('rootSnapshotList');
    } finally {
      await a.close();
    }
  });

  it('reverts a VM to an earlier snapshot with RevertToSnapshot_Task, and says not-found for one that is gone', async () => {
    const vm = machines[1]!;
    const a = adapter();
    await a.connect();
    const current = () =>
      withAdminSession(sim, async (client) => {
        const r = await client.invoke(
          'RetrievePropertiesEx',
          { type: 'PropertyCollector', value: 'propertyCollector' },
          `<specSet><propSet><type>VirtualMachine</type><pathSet>snapshot.currentSnapshot</pathSet></propSet><objectSet><obj type="VirtualMachine">${vm.nativeId}</obj></objectSet></specSet><options/>`,
        );
        return JSON.stringify(r).match(/snapshot-\d+/)?.[0]; // the one property asked for
      });
    try {
      const take = async (tag: string) =>
        a.snapshots.take(await a.snapshots.prepare({ machineId: vm.id, consistency: 'crash', tag }));
      const first = await take('drkit-revert-1');
      const second = await take('drkit-revert-2');
      expect(await current()).toBe(second.id);
      await a.snapshots.revert!(first);
      expect(await current()).toBe(first.id);
      for (const s of [second, first]) await a.snapshots.delete(s);
      await expect(a.snapshots.revert!(first)).rejects.toSatisfy(
        (e: unknown) => (e as { code?: string }).code === 'not-found',
      );
    } finally {
      await a.close();
    }
  });

  it.each([
    ['streamed reads', false],
    ['reads into the caller’s buffer', true],
  ])(
    'logs in again when /folder refuses an expired session mid-transfer (%s), and the point still restores byte for byte',
    async (_, fast) => {
      const vm = machines[2]!;
      const disk = vm.disks[0]!;
      const data = randomBytes(disk.capacityBytes);
      await putDatastoreFile(sim, flat(disk.path!), data);
      // The simulator's /folder ignores sessions. This wrapper answers as ESXi does once a
      // session has expired: from the second disk read on, the cookie then in use gets 401.
      const inner = createHttpTransport({ url: sim.origin, tls: { mode: 'pin', sha256: sim.thumbprint } });
      const expired = new Set<string>();
      let reads = 0;
      let refused = 0;
      const refuses = (path: string, cookie = '') => {
        if (!path.startsWith('/folder/')) return false;
        if (++reads === 2) expired.add(cookie);
        if (expired.has(cookie)) refused++;
        return expired.has(cookie);
      };
      const transport: HttpTransport = {
        origin: inner.origin,
        close: () => inner.close(),
        async request(request) {
          if (refuses(request.path, request.headers.cookie))
            return { status: 401, headers: {}, body: (async function* () {})(), cancel() {} };
          return inner.request(request);
        },
        ...(fast && {
          async getInto(request, into) {
            if (refuses(request.path, request.headers.cookie)) return { status: 401, headers: {}, filled: false };
            return inner.getInto!(request, into);
          },
        }),
      };
      const a = createVSphereAdapter({
        transport,
        credentials: { username: sim.username, password: async () => sim.password },
        endpoint: 'vsphere://sim',
      });
      const dir = await mkdtemp(join(tmpdir(), 'drkit-vsphere-expiry-'));
      try {
        await a.connect();
        const store = await openDirStore(join(dir, 'store'));
        const { point } = await replicateGroup({
          members: [{ adapter: a, machineId: vm.id, name: vm.name }],
          consistency: 'crash',
          store,
        });
        expect(refused).toBeGreaterThan(0);
        expect(a.logins).toBe(2); // one re-login, however many reads were refused at once
        const out = await store.restore(point.id, join(dir, 'out'));
        expect((await readFile(out.files[0]!.path)).equals(data)).toBe(true);
        expect((await store.listPoints()).map((p) => p.id)).toEqual([point.id]);
      } finally {
        await a.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it('logs in again when the session expired between calls, and the snapshot is made once', async () => {
    const idle = await startVcsim({
      clusters: 1,
      hostsPerCluster: 1,
      standaloneHosts: 0,
      vmsPerPool: 1,
      idleTimeout: '1s',
    });
    const a = createVSphereAdapter({
      transport: createHttpTransport({ url: idle.origin, tls: { mode: 'pin', sha256: idle.thumbprint } }),
      credentials: { username: idle.username, password: async () => idle.password },
      endpoint: 'vsphere://idle',
    });
    try {
      await a.connect();
      const vm = (await collectInventory(a.site, a.discover({ kinds: ['machine'] }))).machines[0]!;
      const prepared = await a.snapshots.prepare({ machineId: vm.id, consistency: 'crash', tag: 'drkit-idle' });
      await new Promise((r) => setTimeout(r, 2500)); // the simulator drops the idle session
      const taken = await a.snapshots.take(prepared);
      expect(a.logins).toBe(2);
      expect((await a.snapshots.listTagged('drkit-idle')).map((s) => s.id)).toEqual([taken.id]);
      // Calls refused together for the same expired session share one login.
      await new Promise((r) => setTimeout(r, 2500));
      const lists = await Promise.all([1, 2, 3].map(() => a.snapshots.listTagged('drkit-idle')));
      expect(lists.map((l) => l.length)).toEqual([1, 1, 1]);
      expect(a.logins).toBe(3);
      await a.snapshots.delete(taken);
    } finally {
      await a.close();
      await idle.stop();
    }
  });
});
