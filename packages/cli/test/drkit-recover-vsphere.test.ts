import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectInventory, type Inventory, type Machine } from '@drkit/core';
import { createHttpTransport } from '@drkit/http';
import { createVSphereAdapter } from '@drkit/vsphere';
import { startVcsim, type Vcsim } from '../../../test/harness/vcsim.js';
import { putDatastoreFile, withAdminSession } from '../../../test/harness/vsphere-admin.js';
import { drkit as run } from './run-drkit.js';

let sim: Vcsim;
let vms: Machine[];
const drkit = (args: string[]) => run(args, { DRKIT_PASSWORD: sim.password });
const endpoint = () => `vsphere://${sim.username}@127.0.0.1:${sim.port}`;
const inventory = async (): Promise<Inventory> => {
  const a = createVSphereAdapter({
    transport: createHttpTransport({ url: sim.origin, tls: { mode: 'pin', sha256: sim.thumbprint } }),
    credentials: { username: sim.username, password: async () => sim.password },
    endpoint: 'vsphere://sim',
  });
  await a.connect();
  try {
    return await collectInventory(a.site, a.discover());
  } finally {
    await a.close();
  }
};
const flat = (path: string) => path.replace(/\.vmdk$/, '-flat.vmdk');
async function readFlat(vmName: string): Promise<Buffer> {
  return withAdminSession(sim, async (client, cookie) => {
    const r = await client.transport.request({
      method: 'GET',
      path: `/folder/${encodeURIComponent(vmName)}/${encodeURIComponent(`${vmName}_0-flat.vmdk`)}?dcPath=DC0&dsName=LocalDS_0`,
      headers: { cookie },
    });
    const chunks: Buffer[] = [];
    for await (const c of r.body) chunks.push(Buffer.from(c));
    if (r.status !== 200) throw new Error(`GET ${vmName}: ${r.status}`);
    return Buffer.concat(chunks);
  });
}

beforeAll(async () => {
  sim = await startVcsim({ clusters: 1, hostsPerCluster: 1, standaloneHosts: 0, vmsPerPool: 3 });
  vms = (await inventory()).machines;
});
afterAll(() => sim?.stop());

describe('drkit recover against the vCenter simulator', () => {
  it('test failovers of a two-group plan on the test network, from the newest and an older point; cleanup leaves nothing', async () => {
    expect(vms).toHaveLength(3);
    const dir = await mkdtemp(join(tmpdir(), 'drkit-recover-'));
    const store = `dir:${join(dir, 'store')}`;
    const first = vms.map((vm) => randomBytes(vm.disks[0]!.capacityBytes));
    for (const [i, vm] of vms.entries()) await putDatastoreFile(sim, flat(vm.disks[0]!.path!), first[i]!);
    const replicate = () =>
      drkit([
        'replicate',
        endpoint(),
        ...vms.flatMap((v) => ['--machine', v.name]),
        '--target',
        store,
        '--thumbprint',
        sim.thumbprint,
        '--json',
      ]);
    const older = await replicate();
    expect(older.code, older.stderr).toBe(0);
    const olderId = (JSON.parse(older.stdout) as { id: string }).id;
    // The first VM's disk changes; the newest point has the new bytes.
    const second = randomBytes(vms[0]!.disks[0]!.capacityBytes);
    await putDatastoreFile(sim, flat(vms[0]!.disks[0]!.path!), second);
    expect((await replicate()).code).toBe(0);

    const log = join(dir, 'steps.log');
    const plan = join(dir, 'plan.yaml');
    await writeFile(
      plan,
      [
        'name: drill',
        `target: { endpoint: "${endpoint()}", thumbprint: "${sim.thumbprint}" }`,
        'testNetwork: VM Network',
        'networkMap: { DC0_DVPG0: VM Network }',
        'groups:',
        `  - { name: db, machines: [${vms[0]!.name}] }`,
        `  - name: web`,
        `    machines: [${vms[1]!.name}, { machine: ${vms[2]!.name}, cpuCount: 2 }]`,
        `    pre: [ { command: 'echo "$DRKIT_GROUP $DRKIT_TEST" >> ${log}' } ]`,
        '',
      ].join('\n'),
    );
    const recover = await drkit(['recover', store, '--plan', plan, '--test', '--json']);
    expect(recover.code, recover.stderr).toBe(0);
    const result = JSON.parse(recover.stdout) as {
      test: boolean;
      machines: Array<{ name: string; state: string; group: string; machineId: string }>;
    };
    expect(result.machines.map((m) => [m.group, m.name, m.state])).toEqual([
      ['db', `${vms[0]!.name}-test`, 'created'],
      ['web', `${vms[1]!.name}-test`, 'created'],
      ['web', `${vms[2]!.name}-test`, 'created'],
    ]);
    expect(await readFile(log, 'utf8')).toBe('web 1\n');
    const after = await inventory();
    for (const m of result.machines) {
      const vm = after.machines.find((x) => x.id === m.machineId)!;
      expect(vm.powerState).toBe('on');
      expect(vm.nics.map((n) => after.networks.find((x) => x.id === n.networkId)?.name)).toEqual(['VM Network']);
    }
    expect(after.machines.find((x) => x.name === `${vms[2]!.name}-test`)!.cpuCount).toBe(2);
    expect((await readFlat(`${vms[0]!.name}-test`)).equals(second)).toBe(true);
    expect((await readFlat(`${vms[1]!.name}-test`)).equals(first[1]!)).toBe(true);

    // A re-run finds what the first made: nothing twice.
    const again = JSON.parse(
      (await drkit(['recover', store, '--plan', plan, '--test', '--json'])).stdout,
    ) as typeof result;
    expect(again.machines.map((m) => m.state)).toEqual(['found', 'found', 'found']);
    expect((await inventory()).machines).toHaveLength(6);

    const cleanup = await drkit(['recover', 'cleanup', store, '--plan', plan, '--json']);
    expect(cleanup.code, cleanup.stderr).toBe(0);
    expect((JSON.parse(cleanup.stdout) as { removed: unknown[] }).removed).toHaveLength(3);
    expect((await inventory()).machines.map((m) => m.id).sort()).toEqual(vms.map((m) => m.id).sort());

    // The older point gives its own bytes.
    const old = await drkit(['recover', store, '--plan', plan, '--test', '--point', olderId, '--json']);
    expect(old.code, old.stderr).toBe(0);
    expect((await readFlat(`${vms[0]!.name}-test`)).equals(first[0]!)).toBe(true);
    expect((await drkit(['recover', 'cleanup', store, '--plan', plan])).code).toBe(0);
    expect((await inventory()).machines).toHaveLength(3);

    // A failover into the same vCenter under the source's own name is refused: its folder is production's.
    const same = await drkit([
      'recover',
      store,
      '--machine',
      vms[0]!.name,
      '--to',
      endpoint(),
      '--thumbprint',
      sim.thumbprint,
      '--network-map',
      'DC0_DVPG0=VM Network',
      '--yes',
      '--json',
    ]);
    expect(same.code).toBe(1);
    expect(same.stdout).toMatch(/a VM named DC0_C0_RP0_VM0 already exists on the target/);
  });

  it('refuses a bad plan before anything changes: an unknown machine, an unmapped network (exit 2)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drkit-recover-bad-'));
    const store = `dir:${join(dir, 'store')}`;
    expect(
      (
        await drkit([
          'replicate',
          endpoint(),
          '--machine',
          vms[0]!.name,
          '--target',
          store,
          '--thumbprint',
          sim.thumbprint,
        ])
      ).code,
    ).toBe(0);
    const plan = join(dir, 'plan.yaml');
    const write = (groups: string, extra = '') =>
      writeFile(
        plan,
        `target: { endpoint: "${endpoint()}", thumbprint: "${sim.thumbprint}" }\n${extra}groups:\n${groups}`,
      );
    await write('  - { name: g, machines: [nope] }\n', 'networkMap: { DC0_DVPG0: VM Network }\n');
    const unknown = await drkit(['recover', store, '--plan', plan, '--yes']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/nope is not in point/);
    await write(`  - { name: g, machines: [${vms[0]!.name}] }\n`);
    const unmapped = await drkit(['recover', store, '--plan', plan, '--yes']);
    expect(unmapped.code).toBe(2);
    expect(unmapped.stderr, unmapped.stderr).toMatch(/NIC .* is on DC0_DVPG0, which the plan does not map/);
    await write('  - { name: g, machines: [] }\n');
    expect((await drkit(['recover', store, '--plan', plan, '--yes'])).stderr).toMatch(
      /groups.0.machines: must NOT have fewer than 1 items/,
    );
    await write(`  - { name: g, machines: [${vms[0]!.name}] }\n`, 'networkMap: { DC0_DVPG0: VM Network }\n');
    const failover = await drkit(['recover', store, '--plan', plan]); // no terminal here
    expect(failover.code).toBe(2);
    expect(failover.stderr).toMatch(/a failover creates machines on .*: give --yes/);
    expect((await inventory()).machines).toHaveLength(3);
  });
});
