import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectInventory, type Inventory, type Machine } from '@drkit/core';
import { createHttpTransport } from '@drkit/http';
import { createVSphereAdapter } from '@drkit/vsphere';
import { startVcsim, type Vcsim } from '../../../test/harness/vcsim.js';
import { getDatastoreFile, powerOff, putDatastoreFile, withAdminSession } from '../../../test/harness/vsphere-admin.js';
import { drkit as run } from './run-drkit.js';

let sim: Vcsim;
let vms: Machine[];
let total: number;
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
/** `drkit replicate` of simulator VMs into a store, as a user protects them (its point id on --json). */
const replicateVms = (names: string[], store: string) =>
  drkit([
    'replicate',
    endpoint(),
    ...names.flatMap((n) => ['--machine', n]),
    '--target',
    store,
    '--thumbprint',
    sim.thumbprint,
    '--json',
  ]);
async function readFlat(vmName: string, dc = 'DC0'): Promise<Buffer> {
  return withAdminSession(sim, async (client, cookie) => {
    const r = await client.transport.request({
      method: 'GET',
      path: `/folder/${encodeURIComponent(vmName)}/${encodeURIComponent(`${vmName}_0-flat.vmdk`)}?dcPath=${dc}&dsName=LocalDS_0`,
      headers: { cookie },
    });
    const chunks: Buffer[] = [];
    for await (const c of r.body) chunks.push(Buffer.from(c));
    if (r.status !== 200) throw new Error(`GET ${vmName}: ${r.status}`);
    return Buffer.concat(chunks);
  });
}

beforeAll(async () => {
  // Two datacenters, as a DR site pair: the machines run in DC0, test failovers go to DC1.
  sim = await startVcsim({ datacenters: 2, clusters: 1, hostsPerCluster: 1, standaloneHosts: 0, vmsPerPool: 3 });
  const all = (await inventory()).machines;
  vms = all.filter((m) => m.name.startsWith('DC0_'));
  total = all.length;
});
afterAll(() => sim?.stop());

describe('drkit recover against the vCenter simulator', () => {
  it('test failovers of a two-group plan into the second datacenter on its test network, from the newest and an older point; cleanup leaves nothing', async () => {
    expect(vms).toHaveLength(3);
    expect(total).toBe(6);
    const dir = await mkdtemp(join(tmpdir(), 'drkit-recover-'));
    const store = `dir:${join(dir, 'store')}`;
    const first = vms.map((vm) => randomBytes(vm.disks[0]!.capacityBytes));
    for (const [i, vm] of vms.entries()) await putDatastoreFile(sim, flat(vm.disks[0]!.path!), first[i]!);
    const replicate = () =>
      replicateVms(
        vms.map((v) => v.name),
        store,
      );
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
        'placement: { datacenter: DC1 }',
        'testNetwork: VM Network',
        'networkMap: { DC0_DVPG0: DC1_DVPG0 }',
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
      machines: Array<{ name: string; state: string; group: string; machineId: string; ms: Record<string, number> }>;
    };
    expect(result.machines.map((m) => [m.group, m.name, m.state])).toEqual([
      ['db', `${vms[0]!.name}-test`, 'created'],
      ['web', `${vms[1]!.name}-test`, 'created'],
      ['web', `${vms[2]!.name}-test`, 'created'],
    ]);
    // Each step timed, and said on stderr as it starts.
    for (const m of result.machines) {
      expect(Object.keys(m.ms)).toEqual(['check', 'create', 'upload', 'attach', 'power-on', 'recover']);
      expect(m.ms.recover).toBeGreaterThanOrEqual(m.ms.upload!);
      expect(recover.stderr).toContain(`${m.name}: upload\n`);
    }
    expect(await readFile(log, 'utf8')).toBe('web 1\n');
    const after = await inventory();
    for (const m of result.machines) {
      const vm = after.machines.find((x) => x.id === m.machineId)!;
      expect(vm.powerState).toBe('on');
      expect(vm.nics.map((n) => after.networks.find((x) => x.id === n.networkId)?.name)).toEqual(['VM Network']);
    }
    expect(after.machines.find((x) => x.name === `${vms[2]!.name}-test`)!.cpuCount).toBe(2);
    // In DC1's datastore (its "VM Network", not DC0's of the same name), the point's bytes.
    expect((await readFlat(`${vms[0]!.name}-test`, 'DC1')).equals(second)).toBe(true);
    expect((await readFlat(`${vms[1]!.name}-test`, 'DC1')).equals(first[1]!)).toBe(true);

    // A re-run finds what the first made: nothing twice.
    const again = JSON.parse(
      (await drkit(['recover', store, '--plan', plan, '--test', '--json'])).stdout,
    ) as typeof result;
    expect(again.machines.map((m) => m.state)).toEqual(['found', 'found', 'found']);
    expect((await inventory()).machines).toHaveLength(total + 3);

    const cleanup = await drkit(['recover', 'cleanup', store, '--plan', plan, '--json']);
    expect(cleanup.code, cleanup.stderr).toBe(0);
    expect((JSON.parse(cleanup.stdout) as { removed: unknown[] }).removed).toHaveLength(3);
    expect((await inventory()).machines).toHaveLength(total);

    // The older point gives its own bytes.
    const old = await drkit(['recover', store, '--plan', plan, '--test', '--point', olderId, '--json']);
    expect(old.code, old.stderr).toBe(0);
    expect((await readFlat(`${vms[0]!.name}-test`, 'DC1')).equals(first[0]!)).toBe(true);
    expect((await drkit(['recover', 'cleanup', store, '--plan', plan])).code).toBe(0);
    expect((await inventory()).machines).toHaveLength(total);

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

  it('a failover: a re-run from another point rebuilds before commit, not after; killed runs resume without duplicates', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drkit-recover-commit-'));
    const store = `dir:${join(dir, 'store')}`;
    const vm = vms[1]!;
    const v1 = randomBytes(vm.disks[0]!.capacityBytes);
    await putDatastoreFile(sim, flat(vm.disks[0]!.path!), v1);
    const replicate = async () => {
      const r = await replicateVms([vm.name], store);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { id: string }).id;
    };
    const p1 = await replicate();
    const v2 = randomBytes(vm.disks[0]!.capacityBytes);
    await putDatastoreFile(sim, flat(vm.disks[0]!.path!), v2);
    const p2 = await replicate();
    const plan = join(dir, 'plan.yaml');
    await writeFile(
      plan,
      [
        'name: dr',
        `target: { endpoint: "${endpoint()}", thumbprint: "${sim.thumbprint}" }`,
        'networkMap: { DC0_DVPG0: VM Network }',
        'testNetwork: VM Network',
        `groups: [ { name: all, machines: [ { machine: ${vm.name}, name: ${vm.name}-dr } ] } ]`,
        '',
      ].join('\n'),
    );
    const failover = (point: string) => drkit(['recover', store, '--plan', plan, '--point', point, '--yes', '--json']);
    expect((await failover(p2)).code).toBe(0);
    expect((await readFlat(`${vm.name}-dr`)).equals(v2)).toBe(true);
    // Before commit another point may be chosen: the machine is made again from it.
    const back = JSON.parse((await failover(p1)).stdout) as { machines: Array<{ state: string; notes: string[] }> };
    expect(back.machines[0]).toMatchObject({
      state: 'created',
      notes: expect.arrayContaining([`rebuilt from this point (was ${p2})`]),
    });
    expect((await readFlat(`${vm.name}-dr`)).equals(v1)).toBe(true);
    const commit = await drkit(['recover', 'commit', store, '--plan', plan, '--json']);
    expect(commit.code, commit.stderr).toBe(0);
    const refused = await failover(p2);
    expect(refused.stderr).toMatch(/was committed from point .*: its point can no longer change/);
    expect((await readFlat(`${vm.name}-dr`)).equals(v1)).toBe(true);

    // A test failover killed at random moments, three times; each re-run completes it, once each.
    const BIN = new URL('../bin/drkit.js', import.meta.url).pathname;
    const { spawn } = await import('node:child_process');
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, [BIN, 'recover', store, '--plan', plan, '--test', '--json'], {
        env: { ...process.env, DRKIT_PASSWORD: sim.password },
        stdio: 'ignore',
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 300 + Math.floor(Math.random() * 1200));
      await new Promise((r) => child.once('exit', r));
      clearTimeout(timer);
      const rerun = await drkit(['recover', store, '--plan', plan, '--test', '--json']);
      expect(rerun.code, rerun.stderr).toBe(0);
      const named = (await inventory()).machines.filter((m) => m.name === `${vm.name}-dr-test`);
      expect(named).toHaveLength(1);
      expect(named[0]!.powerState).toBe('on');
      expect((await readFlat(`${vm.name}-dr-test`)).equals(v2)).toBe(true);
      expect((await drkit(['recover', 'cleanup', store, '--plan', plan])).code).toBe(0);
      expect((await inventory()).machines.some((m) => m.name === `${vm.name}-dr-test`)).toBe(false);
    }
  });

  it('a planned failover shuts the source down, takes a final point and recovers the last write from it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drkit-recover-planned-'));
    const store = `dir:${join(dir, 'store')}`;
    const vm = vms[2]!;
    await putDatastoreFile(sim, flat(vm.disks[0]!.path!), randomBytes(vm.disks[0]!.capacityBytes));
    expect((await replicateVms([vm.name], store)).code).toBe(0);
    // Written after the last scheduled point: only the planned failover's final point has it.
    const last = randomBytes(vm.disks[0]!.capacityBytes);
    await putDatastoreFile(sim, flat(vm.disks[0]!.path!), last);
    const plan = join(dir, 'plan.yaml');
    await writeFile(
      plan,
      [
        'name: planned',
        `source: { endpoint: "${endpoint()}", thumbprint: "${sim.thumbprint}" }`,
        `target: { endpoint: "${endpoint()}", thumbprint: "${sim.thumbprint}" }`,
        'networkMap: { DC0_DVPG0: VM Network }',
        `groups: [ { name: all, machines: [ { machine: ${vm.name}, name: ${vm.name}-moved } ] } ]`,
        '',
      ].join('\n'),
    );
    const planned = await drkit(['recover', store, '--plan', plan, '--planned', '--yes', '--json']);
    expect(planned.code, planned.stderr).toBe(0);
    const result = JSON.parse(planned.stdout) as {
      point: { id: string };
      planned: { zeroDataLoss: boolean; shutdown: Record<string, string> };
      machines: Array<{ name: string; state: string }>;
    };
    expect(result.planned).toEqual({ zeroDataLoss: true, shutdown: { [vm.name]: 'forced' } }); // no VMware Tools here
    expect(result.machines).toMatchObject([{ name: `${vm.name}-moved`, state: 'created' }]);
    expect((await inventory()).machines.find((m) => m.id === vm.id)!.powerState).toBe('off');
    expect((await readFlat(`${vm.name}-moved`)).equals(last)).toBe(true);
    const out = join(dir, 'final');
    expect((await drkit(['restore', store, result.point.id, '--out', out])).code).toBe(0);
    expect((await readFile(join(out, vm.name, `${vm.disks[0]!.name}.img`))).equals(last)).toBe(true);
  });

  it('refuses a bad plan before anything changes: an unknown machine, an unmapped network (exit 2)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drkit-recover-bad-'));
    const store = `dir:${join(dir, 'store')}`;
    expect((await replicateVms([vms[0]!.name], store)).code).toBe(0);
    const before = (await inventory()).machines.length;
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
    expect((await inventory()).machines).toHaveLength(before); // nothing was made
  });

  it('fails back into the original VM: refused while it runs; once off, its disk holds the point (written whole)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drkit-recover-failback-'));
    const store = `dir:${join(dir, 'store')}`;
    const vm = vms[1]!;
    const disk = flat(vm.disks[0]!.path!);
    const protectedBytes = randomBytes(vm.disks[0]!.capacityBytes);
    await putDatastoreFile(sim, disk, protectedBytes);
    const replicated = await replicateVms([vm.name], store);
    expect(replicated.code, replicated.stderr).toBe(0);
    // What the original site holds after the failover went the other way: something else.
    const stale = randomBytes(vm.disks[0]!.capacityBytes);
    await putDatastoreFile(sim, disk, stale);
    const failback = () =>
      drkit([
        'recover',
        'failback',
        store,
        '--machine',
        vm.name,
        '--to',
        endpoint(),
        '--thumbprint',
        sim.thumbprint,
        '--yes',
        '--json',
      ]);
    const running = await failback();
    expect(running.code).not.toBe(0);
    expect(running.stderr).toMatch(/is poweredOn: power it off before a point is written into it/);
    expect((await getDatastoreFile(sim, disk)).equals(stale)).toBe(true);

    await powerOff(sim, vm.nativeId!);
    const done = await failback();
    expect(done.code, done.stderr).toBe(0);
    const result = JSON.parse(done.stdout) as {
      machines: Array<{ into: string; disks: Array<{ bytesCompared: number; bytesWritten: number }> }>;
    };
    expect(result.machines).toMatchObject([
      { into: vm.name, disks: [{ bytesCompared: 0, bytesWritten: vm.disks[0]!.capacityBytes }] },
    ]);
    expect((await getDatastoreFile(sim, disk)).equals(protectedBytes)).toBe(true);
  });
});
