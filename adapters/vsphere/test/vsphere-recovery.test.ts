import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectInventory, describeMachine, openDirStore, replicateGroup, type Inventory } from '@drkit/core';
import { createHttpTransport } from '@drkit/http';
import { startVcsim, type Vcsim } from '../../../test/harness/vcsim.js';
import { putDatastoreFile, withAdminSession } from '../../../test/harness/vsphere-admin.js';
import { createVSphereAdapter } from '../src/index.js';

// Recovery into the simulator by the datastore route: the point's disks PUT over /folder,
// CreateVM_Task around them, powered on; then found by tag and removed.
let sim: Vcsim;
let inventory: Inventory;
const adapter = () =>
  createVSphereAdapter({
    transport: createHttpTransport({ url: sim.origin, tls: { mode: 'pin', sha256: sim.thumbprint } }),
    credentials: { username: sim.username, password: async () => sim.password },
    endpoint: 'vsphere://sim',
  });

async function datastoreFile(path: string): Promise<{ status: number; body: Buffer }> {
  return withAdminSession(sim, async (client, cookie) => {
    const r = await client.transport.request({
      method: 'GET',
      path: `/folder/${path.split('/').map(encodeURIComponent).join('/')}?dcPath=DC0&dsName=LocalDS_0`,
      headers: { cookie },
    });
    const chunks: Buffer[] = [];
    for await (const c of r.body) chunks.push(Buffer.from(c));
    return { status: r.status, body: Buffer.concat(chunks) };
  });
}

beforeAll(async () => {
  sim = await startVcsim({ clusters: 1, hostsPerCluster: 1, standaloneHosts: 0, vmsPerPool: 1 });
  const a = adapter();
  await a.connect();
  inventory = await collectInventory(a.site, a.discover());
  await a.close();
});
afterAll(() => sim?.stop());

describe('vSphere recovery against the simulator', () => {
  it('brings a replicated VM up from its point: disks byte-identical, CPU, memory and network as recorded; cleanup by tag', async () => {
    const vm = inventory.machines[0]!;
    const disk = vm.disks[0]!;
    const data = randomBytes(disk.capacityBytes);
    await putDatastoreFile(sim, disk.path!.replace(/\.vmdk$/, '-flat.vmdk'), data);
    const dir = await mkdtemp(join(tmpdir(), 'drkit-vsphere-recovery-'));
    const store = await openDirStore(join(dir, 'store'));
    const a = adapter();
    await a.connect();
    try {
      const description = describeMachine(vm, inventory.networks);
      const run = await replicateGroup({
        members: [{ adapter: a, machineId: vm.id, name: vm.name, description }],
        consistency: 'crash',
        store,
      });
      const member = run.point.members[0]!;
      expect(member.description).toEqual(description); // the point keeps the machine as it was
      const restored = await store.restore(run.point.id, join(dir, 'out'));

      const networks = description.nics.map((n) => n.network!);
      expect(networks.length).toBeGreaterThan(0);
      const tag = 'drkit-recovery-test';
      const recovered = await a.recovery!.recover({
        name: `${vm.name}-dr`,
        description: member.description!,
        disks: restored.files.map((f) => ({ name: f.disk, path: f.path, sizeBytes: f.sizeBytes })),
        networkMap: Object.fromEntries(networks.map((n) => [n, n])),
        tag,
      });
      expect(recovered).toMatchObject({ name: `${vm.name}-dr`, poweredOn: true });
      expect(await a.recovery!.listRecovered(tag)).toEqual([
        { machineId: recovered.machineId, name: `${vm.name}-dr`, state: 'ready' },
      ]);

      const after = await collectInventory(a.site, a.discover());
      const twin = after.machines.find((m) => m.id === recovered.machineId)!;
      expect(twin).toMatchObject({ powerState: 'on', cpuCount: vm.cpuCount, memoryBytes: vm.memoryBytes });
      expect(twin.disks.map((d) => d.capacityBytes)).toEqual([disk.capacityBytes]);
      expect(twin.nics.map((n) => after.networks.find((x) => x.id === n.networkId)?.name)).toEqual(networks);
      const flat = await datastoreFile(`${vm.name}-dr/${vm.name}-dr_0-flat.vmdk`);
      expect(flat.body.equals(data)).toBe(true);

      // An unmapped network is refused before anything is made.
      await expect(
        a.recovery!.recover({ name: 'never', description: member.description!, disks: [], networkMap: {}, tag }),
      ).rejects.toMatchObject({ code: 'bad-input' });

      await a.recovery!.remove(recovered.machineId);
      expect(await a.recovery!.listRecovered(tag)).toEqual([]);
      expect((await datastoreFile(`${vm.name}-dr/${vm.name}-dr_0-flat.vmdk`)).status).toBe(404); // its files went with it
      await expect(a.recovery!.remove(vm.id)).rejects.toMatchObject({ code: 'invalid-state' }); // not drkit's: never removed
      expect(
        (await collectInventory(a.site, a.discover({ kinds: ['machine'] }))).machines.some((m) => m.id === vm.id),
      ).toBe(true);
    } finally {
      await a.close();
    }
  });
});
