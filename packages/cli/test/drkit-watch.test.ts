import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectInventory, type InventoryChange, type Machine } from '@drkit/core';
import { createHttpTransport } from '@drkit/http';
import { createVSphereAdapter } from '@drkit/vsphere';
import { startVcsim, type Vcsim } from '../../../test/harness/vcsim.js';
import { addDisk, cloneVm, powerOff } from '../../../test/harness/vsphere-admin.js';

const BIN = new URL('../bin/drkit.js', import.meta.url).pathname;
let sim: Vcsim;
let vms: Machine[];

beforeAll(async () => {
  sim = await startVcsim({ clusters: 1, hostsPerCluster: 1, standaloneHosts: 0, vmsPerPool: 2 });
  const a = createVSphereAdapter({
    transport: createHttpTransport({ url: sim.origin, tls: { mode: 'pin', sha256: sim.thumbprint } }),
    credentials: { username: sim.username, password: async () => sim.password },
    endpoint: 'vsphere://sim',
  });
  await a.connect();
  vms = (await collectInventory(a.site, a.discover({ kinds: ['machine'] }))).machines;
  await a.close();
});
afterAll(() => sim?.stop());

describe('drkit discover --watch against the vCenter simulator', () => {
  it('prints one JSON line per change: a VM added, a disk added, a VM powered off', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'discover', `vsphere://${sim.username}@127.0.0.1:${sim.port}`, '--thumbprint', sim.thumbprint, '--watch'],
      { env: { ...process.env, DRKIT_PASSWORD: sim.password }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const lines: InventoryChange[] = [];
    let stderr = '';
    let rest = '';
    child.stdout!.on('data', (b: Buffer) => {
      const parts = (rest + b.toString()).split('\n');
      rest = parts.pop()!;
      for (const p of parts) lines.push(JSON.parse(p) as InventoryChange);
    });
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const until = async (n: number) => {
        const end = Date.now() + 20_000;
        while (lines.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      };
      const end = Date.now() + 20_000;
      // Said once the baseline is in: from here every change is reported.
      while (!stderr.includes('watching') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));

      await cloneVm(sim, vms[0]!.nativeId!, 'watched-new');
      await until(1);
      await addDisk(sim, vms[0]!.nativeId!);
      await until(2);
      await powerOff(sim, vms[1]!.nativeId!);
      await until(3);
      await new Promise((r) => setTimeout(r, 1000)); // nothing more arrives
      expect(lines.map((l) => [l.change, l.name])).toEqual([
        ['machine-added', 'watched-new'],
        ['disk-added', vms[0]!.name],
        ['power', vms[1]!.name],
      ]);
      expect(lines[1]).toMatchObject({ machineId: vms[0]!.id, disk: { capacityBytes: 1024 * 1024 } });
      expect(lines[2]).toMatchObject({ from: 'on', to: 'off' });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).not.toContain(sim.password);
  });
});
