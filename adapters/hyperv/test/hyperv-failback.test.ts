import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectInventory, describeMachine, openDirStore, replicateGroup, type DirStore } from '@drkit/core';
import { NO_PWSH_REASON, PWSH, pwshStubHost } from '../../../test/harness/pwsh-stub-host.js';
import { createHyperVAdapter } from '../src/index.js';

// A round trip between two stub Hyper-V hosts in REAL pwsh: DC01 fails over from HV-A to HV-B,
// runs there and changes 1% of its blocks, is protected back (replicated from HV-B into a
// second store), and fails back into its original disks on HV-A — which the block helper
// hashes on HV-A so that only the blocks that differ cross the wire and are written.
const DC01 = 'd4c3b2a1-6f5e-4b7a-9c8d-5a4b3c2d1e0f';
const MiB = 1 << 20;
const BLOCK = 4096;
if (!PWSH) console.warn(`Hyper-V failback tests skipped: ${NO_PWSH_REASON}`);

const cleanup: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** Rewrites `fraction` of the file's blocks, scattered; returns how many blocks changed. */
async function scatter(path: string, fraction: number): Promise<number> {
  const data = await readFile(path);
  const blocks = data.length / BLOCK;
  const chosen = new Set<number>();
  while (chosen.size < Math.round(blocks * fraction)) chosen.add(randomInt(blocks));
  for (const b of chosen) randomBytes(BLOCK).copy(data, b * BLOCK);
  await writeFile(path, data);
  return chosen.size;
}

describe.skipIf(!PWSH)('Hyper-V failback into the original disks', () => {
  it('fails DC01 over, protects it back, and writes back only the 1% of blocks it changed', async () => {
    const [siteA, siteB] = [pwshStubHost('hyperv-host'), pwshStubHost('hyperv-host', { computerName: 'HV02' })];
    cleanup.push(
      () => siteA.dispose(),
      () => siteB.dispose(),
    );
    const original = { os: randomBytes(24 * MiB), ntds: randomBytes(8 * MiB) };
    await writeFile(join(siteA.disksDir, 'DC01-os.raw'), original.os);
    await writeFile(join(siteA.disksDir, 'DC01-ntds.raw'), original.ntds);
    const a = createHyperVAdapter({ sshRunner: siteA.runner, endpoint: 'hyperv://hv-a' });
    const b = createHyperVAdapter({ sshRunner: siteB.runner, endpoint: 'hyperv://hv-b' });
    cleanup.push(
      () => a.close(),
      () => b.close(),
    );
    const dir = await mkdtemp(join(tmpdir(), 'drkit-failback-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const stores: DirStore[] = [];
    cleanup.push(() => Promise.all(stores.map((s) => s.close())));
    const [forward, back] = [await openDirStore(join(dir, 'forward')), await openDirStore(join(dir, 'back'))];
    stores.push(forward, back);
    await Promise.all([a.connect(), b.connect()]);

    // Protected at A, failed over to B.
    const inventory = await collectInventory(a.site, a.discover());
    const description = describeMachine(inventory.machines.find((m) => m.id === DC01)!, inventory.networks);
    const p1 = (
      await replicateGroup({
        members: [{ adapter: a, machineId: DC01, name: 'DC01', description }],
        consistency: 'crash',
        store: forward,
      })
    ).point;
    const streamed = (store: DirStore, point: typeof p1) =>
      point.members[0]!.disks.map((d) => ({
        name: d.name,
        sizeBytes: d.sizeBytes,
        read: () => store.readPointDisk!(point.id, d.key),
      }));
    // (HV-B's seed has a DC01 of its own: the failed-over one is DC01-dr.)
    const dr = await b.recovery!.recover({
      name: 'DC01-dr',
      description: p1.members[0]!.description!,
      disks: streamed(forward, p1),
      networkMap: { ConvergedSwitch: 'ConvergedSwitch' },
      tag: 'drkit-rec-dr-failover',
      pointId: p1.id,
    });
    siteA.setState({
      ...siteA.state(),
      vms: { ...siteA.state().vms, [DC01.toUpperCase()]: { ...siteA.state().vms[DC01.toUpperCase()], state: 'Off' } },
    });

    // Reprotect: B's DC01 replicated into the way-back store, then it runs on and changes 1% of its blocks.
    const reverse = () =>
      replicateGroup({
        members: [{ adapter: b, machineId: dr.machineId, name: 'DC01' }],
        consistency: 'crash',
        store: back,
      });
    expect((await reverse()).point.members[0]!.disks.map((d) => d.mode)).toEqual(['initial', 'initial']);
    const files = siteB.state().vms[dr.machineId.toUpperCase()].disks.map((d: { vhd: { path: string } }) => d.vhd.path);
    const changed = [await scatter(files[0], 0.01), await scatter(files[1], 0.01)];
    const r2 = (await reverse()).point;
    expect(r2.members[0]!.disks.map((d) => d.mode)).toEqual(['delta', 'delta']);

    // Fail back: A's DC01 must be off; it is. Then only what differs crosses.
    const result = await a.recovery!.writeBack!({ machineId: DC01, disks: streamed(back, r2) });
    const written = result.disks.map((d) => d.bytesWritten);
    expect(written).toEqual(changed.map((n) => n * BLOCK)); // exactly the changed blocks: ≤ 1.1× as the issue asks
    expect(result.disks.map((d) => d.bytesCompared)).toEqual([24 * MiB, 8 * MiB]);
    expect((await readFile(join(siteA.disksDir, 'DC01-os.raw'))).equals(await readFile(files[0]))).toBe(true);
    expect((await readFile(join(siteA.disksDir, 'DC01-ntds.raw'))).equals(await readFile(files[1]))).toBe(true);
    expect(siteA.state().mounted).toEqual({});

    // A running VM's disks are never written; nor a VM with another number of disks.
    siteA.setState({
      ...siteA.state(),
      vms: {
        ...siteA.state().vms,
        [DC01.toUpperCase()]: { ...siteA.state().vms[DC01.toUpperCase()], state: 'Running' },
      },
    });
    await expect(a.recovery!.writeBack!({ machineId: DC01, disks: streamed(back, r2) })).rejects.toMatchObject({
      code: 'invalid-state',
      message: expect.stringMatching(/only while it is off/),
    });
    expect(siteA.state().mounted).toEqual({});
    await expect(
      a.recovery!.writeBack!({ machineId: DC01, disks: streamed(back, r2).slice(0, 1) }),
    ).rejects.toMatchObject({ code: 'bad-input' });
  }, 240_000);
});
