import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collectInventory, type Machine } from '@drkit/core';
import { createHttpTransport } from '@drkit/http';
import { createVSphereAdapter } from '@drkit/vsphere';
import { startVcsim, type Vcsim } from '../../../test/harness/vcsim.js';
import { addDisk, putDatastoreFile } from '../../../test/harness/vsphere-admin.js';
import { journalLines, killServeProcesses, serveProcess, until } from './serve-process.js';

let sim: Vcsim;
let vm: Machine;
const adapter = () =>
  createVSphereAdapter({
    transport: createHttpTransport({ url: sim.origin, tls: { mode: 'pin', sha256: sim.thumbprint } }),
    credentials: { username: sim.username, password: async () => sim.password },
    endpoint: 'vsphere://sim',
  });
/** The simulator's snapshots that carry a run's tag. */
async function snapshotsTagged(tag: string): Promise<string[]> {
  const a = adapter();
  await a.connect();
  try {
    return (await a.snapshots.listTagged(tag)).map((s) => s.id);
  } finally {
    await a.close();
  }
}

beforeAll(async () => {
  sim = await startVcsim({
    clusters: 1,
    hostsPerCluster: 1,
    standaloneHosts: 0,
    vmsPerPool: 1,
  });
  const a = adapter();
  await a.connect();
  vm = (await collectInventory(a.site, a.discover({ kinds: ['machine'] }))).machines[0]!;
  await a.close();
  const disk = vm.disks[0]!;
  await putDatastoreFile(sim, disk.path!.replace(/\.vmdk$/, '-flat.vmdk'), randomBytes(disk.capacityBytes));
});
afterAll(() => sim?.stop());
afterEach(killServeProcesses);

describe('drkit serve against the vCenter simulator', () => {
  it("removes a killed run's snapshot at the next start by its tag; notices a new disk between runs", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drkit-serve-vsphere-'));
    await writeFile(join(dir, 'vc.pw'), `${sim.password}\n`, { mode: 0o600 });
    const config = join(dir, 'drkit.yaml');
    const writeConfig = (extra: string) =>
      writeFile(
        config,
        [
          'groups:',
          '  - name: vc',
          '    target: dir:./store',
          '    members:',
          `      - { endpoint: "vsphere://${sim.username}@127.0.0.1:${sim.port}", machine: "${vm.name}", passwordFile: ./vc.pw, thumbprint: "${sim.thumbprint}" }`,
          extra,
        ].join('\n'),
      );
    // Reads limited to 4 KiB/s (the policy's maxRate): the run is still copying when it is killed.
    await writeConfig('    policy: { maxRate: 4KiB }\n');
    const state = join(dir, 'drkit-state');
    const first = serveProcess(config);
    await until(async () => (await journalLines(state)).some((r) => r.type === 'run-started'), 'a run');
    const killed = (await journalLines(state)).find((r) => r.type === 'run-started')!;
    await until(async () => (await snapshotsTagged(killed.tag!)).length === 1, 'the run snapshot');
    first.child.kill('SIGKILL');
    await first.exited;
    await new Promise((r) => setTimeout(r, 1000));
    expect(await snapshotsTagged(killed.tag!)).toHaveLength(1); // nothing else removes it

    await writeConfig('');
    const second = serveProcess(config);
    await until(async () => (await journalLines(state)).some((r) => r.type === 'cleanup'), 'the cleanup', 60_000);
    expect((await journalLines(state)).find((r) => r.type === 'cleanup')).toMatchObject({
      group: 'vc',
      tag: killed.tag,
      removed: 1,
      failed: [],
    });
    await until(
      async () => (await journalLines(state)).some((r) => r.type === 'run-finished' && r.ok),
      'a point',
      60_000,
    );
    // Between runs (the next is 5 minutes away), a new disk is noticed from vCenter's change feed.
    await addDisk(sim, vm.nativeId!);
    await until(async () => (await journalLines(state)).some((r) => r.type === 'inventory'), 'the change', 20_000);
    expect((await journalLines(state)).find((r) => r.type === 'inventory')).toMatchObject({
      group: 'vc',
      message: `${vm.name}: disk disk-202-1 added (1048576 bytes); the next point copies it whole`,
    });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(await snapshotsTagged(killed.tag!)).toEqual([]);
    const made = (await journalLines(state)).filter((r) => r.type === 'run-started').at(-1)!;
    expect(await snapshotsTagged(made.tag!)).toEqual([]);
    expect(second.log.find((l) => l.event === 'leftovers-removed')).toMatchObject({ group: 'vc', removed: 1 });
  });
});
