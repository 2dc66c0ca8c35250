import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectInventory, describeMachine, openDirStore, replicateGroup, type MachineDescription } from '@drkit/core';
import { hasQemuImg } from '../../../test/harness/qemu-img.js';
import { NO_PWSH_REASON, PWSH, pwshStubHost, type PwshStubHost } from '../../../test/harness/pwsh-stub-host.js';
import { createHyperVAdapter } from '../src/index.js';

// Recovery in REAL pwsh against the stub Hyper-V host (test/harness/pwsh-stub/hyperv-host.ps1):
// drkit's scripts make the VM with New-VM, its disks go up over the "SSH" stream as fixed VHDs
// (Convert-VHD in the stub checks drkit's footer as Hyper-V would), and the stub keeps what
// was made in its state: generation, memory, switches, disk files that the test reads back.
const DC01 = 'd4c3b2a1-6f5e-4b7a-9c8d-5a4b3c2d1e0f';
const ISOLATED = '9d8c7b6a-5f4e-4d3c-9b2a-1f0e9d8c7b6a';
const MiB = 1 << 20;
const TAG = 'drkit-recovery-hv';
if (!PWSH) console.warn(`Hyper-V recovery tests skipped: ${NO_PWSH_REASON}`);

const cleanup: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe.skipIf(!PWSH)('Hyper-V recovery against the stub host in real pwsh', () => {
  it('brings DC01 up from its point as a generation 2 VM on the mapped switch, disks byte-identical; commit, then cleanup by tag', async () => {
    const host: PwshStubHost = pwshStubHost('hyperv-host');
    cleanup.push(() => host.dispose());
    // The OS disk full of data; the NTDS disk mostly zeros (zero MiB never cross the wire).
    const os = randomBytes(24 * MiB);
    const ntds = Buffer.alloc(8 * MiB);
    randomBytes(MiB).copy(ntds, 3 * MiB);
    await writeFile(join(host.disksDir, 'DC01-os.raw'), os);
    await writeFile(join(host.disksDir, 'DC01-ntds.raw'), ntds);
    const adapter = createHyperVAdapter({ sshRunner: host.runner, endpoint: 'hyperv://hv01' });
    cleanup.push(() => adapter.close());
    const dir = await mkdtemp(join(tmpdir(), 'drkit-hyperv-recovery-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const store = await openDirStore(join(dir, 'store'));
    cleanup.push(() => store.close());

    await adapter.connect();
    expect(adapter.recovery).toBeDefined();
    const inventory = await collectInventory(adapter.site, adapter.discover());
    const vm = inventory.machines.find((m) => m.id === DC01)!;
    const description = describeMachine(vm, inventory.networks);
    expect(description).toMatchObject({ firmware: 'efi', cpuCount: 2, memoryBytes: 4 * 1024 ** 3 });
    expect(description.nics.map((n) => n.network)).toEqual(['ConvergedSwitch']);
    const { point } = await replicateGroup({
      members: [{ adapter, machineId: DC01, name: 'DC01', description }],
      consistency: 'crash',
      store,
    });
    const member = point.members[0]!;
    const disks = member.disks.map((d) => ({
      name: d.name,
      sizeBytes: d.sizeBytes,
      read: () => store.readPointDisk!(point.id, d.key),
    }));
    const request = {
      name: 'DC01-dr',
      description: member.description!,
      disks,
      networkMap: { ConvergedSwitch: 'Isolated' },
      tag: TAG,
      pointId: point.id,
    };

    // Refused before anything is made: an unmapped network, a switch the host lacks, a name taken.
    const vmsBefore = Object.keys(host.state().vms);
    await expect(adapter.recovery!.recover({ ...request, networkMap: {} })).rejects.toMatchObject({
      code: 'bad-input',
      message: expect.stringMatching(/NIC Network Adapter is on ConvergedSwitch, which the network map does not map/),
    });
    await expect(
      adapter.recovery!.recover({ ...request, networkMap: { ConvergedSwitch: 'NoSuchSwitch' } }),
    ).rejects.toMatchObject({
      code: 'bad-input',
      message: expect.stringMatching(/no virtual switch named NoSuchSwitch/),
    });
    await expect(adapter.recovery!.recover({ ...request, name: 'DC01' })).rejects.toMatchObject({ code: 'conflict' });
    await expect(adapter.recovery!.recover({ ...request, name: 'a\\..\\b' })).rejects.toMatchObject({
      code: 'bad-input',
    });
    expect(Object.keys(host.state().vms)).toEqual(vmsBefore);

    const recovered = await adapter.recovery!.recover(request);
    expect(recovered).toMatchObject({ name: 'DC01-dr', poweredOn: true });
    // What Hyper-V's discovery does not know is said, not guessed silently.
    expect(recovered.notes).toEqual([
      "Secure Boot with Hyper-V's default (Windows) template: the point did not record the guest OS",
      expect.stringMatching(/^placed under .*Hyper-V \(the host's default\)$/),
    ]);
    expect(await adapter.recovery!.listRecovered(TAG)).toEqual([
      { machineId: recovered.machineId, name: 'DC01-dr', pointId: point.id, state: 'ready' },
    ]);
    const made = host.state().vms[recovered.machineId.toUpperCase()];
    expect(made).toMatchObject({ name: 'DC01-dr', generation: 2, memory: 4 * 1024 ** 3, cpus: 2, state: 'Running' });
    expect(made.nics.map((n: { switchId: string }) => n.switchId)).toEqual([ISOLATED]);
    expect(made.disks.map((d: { controller: string; location: number }) => `${d.controller} 0:${d.location}`)).toEqual([
      'SCSI 0:0',
      'SCSI 0:1',
    ]);
    // Generation 2 boots VHDX only: each upload was converted, the VHD removed; bytes as in the point.
    const files: string[] = made.disks.map((d: { vhd: { path: string } }) => d.vhd.path);
    expect(files.every((f) => f.endsWith('.vhdx') && !existsSync(f.replace(/\.vhdx$/, '.vhd')))).toBe(true);
    expect((await readFile(files[0]!)).equals(os)).toBe(true);
    expect((await readFile(files[1]!)).equals(ntds)).toBe(true);
    expect(made.firmware).toEqual({ bootDisk: files[0], secureBootTemplate: 'MicrosoftWindows' });

    // Discovery sees it as any VM: on the test switch, its disks the point's sizes.
    const after = await collectInventory(adapter.site, adapter.discover());
    const twin = after.machines.find((m) => m.id === recovered.machineId)!;
    expect(twin).toMatchObject({ firmware: 'efi', powerState: 'on', cpuCount: 2 });
    expect(twin.disks.map((d) => d.capacityBytes)).toEqual([24 * MiB, 8 * MiB]);
    expect(twin.nics.map((n) => after.networks.find((x) => x.id === n.networkId)?.name)).toEqual(['Isolated']);

    await adapter.recovery!.commit(recovered.machineId);
    expect((await adapter.recovery!.listRecovered(TAG))[0]!.state).toBe('committed');
    // Never anything drkit did not make.
    await expect(adapter.recovery!.remove(DC01)).rejects.toMatchObject({ code: 'invalid-state' });
    await expect(adapter.recovery!.commit(DC01)).rejects.toMatchObject({ code: 'invalid-state' });

    await adapter.recovery!.remove(recovered.machineId);
    expect(await adapter.recovery!.listRecovered(TAG)).toEqual([]);
    expect(host.state().vms[recovered.machineId.toUpperCase()]).toBeUndefined();
    expect(existsSync(files[0]!)).toBe(false); // its folder went with it
    expect(host.state().vms[DC01.toUpperCase()]).toMatchObject({ name: 'DC01', state: 'Running' });
  }, 240_000);

  it('makes a generation 1 VM where the point recorded no firmware: the VHD boots from IDE 0:0 unconverted, memory in whole 2 MiB, and says so', async () => {
    const host = pwshStubHost('hyperv-host');
    cleanup.push(() => host.dispose());
    const adapter = createHyperVAdapter({ sshRunner: host.runner, endpoint: 'hyperv://hv01' });
    cleanup.push(() => adapter.close());
    const dir = await mkdtemp(join(tmpdir(), 'drkit-hyperv-recovery-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const boot = randomBytes(2 * MiB);
    const data = randomBytes(MiB);
    await writeFile(join(dir, 'boot.img'), boot);
    await writeFile(join(dir, 'data.img'), data);
    const description: MachineDescription = {
      memoryBytes: 1000 * MiB + 1,
      os: { family: 'linux' },
      disks: [],
      nics: [{ name: 'eth0', network: 'prod' }],
    };
    await adapter.connect();
    const recovered = await adapter.recovery!.recover({
      name: 'legacy-dr',
      description,
      disks: [
        { name: 'boot', sizeBytes: boot.length, path: join(dir, 'boot.img') },
        { name: 'data', sizeBytes: data.length, path: join(dir, 'data.img') },
      ],
      networkMap: { prod: 'ConvergedSwitch' },
      tag: TAG,
      powerOn: false,
    });
    expect(recovered.poweredOn).toBe(false);
    expect(recovered.notes).toEqual([
      'generation 1 (BIOS): the point did not record the firmware',
      'memory rounded up to 1002 MiB (Hyper-V takes whole 2 MiB)',
      '1 processor: the point did not record a CPU count',
      expect.stringMatching(/^placed under .*Hyper-V \(the host's default\)$/),
    ]);
    const made = host.state().vms[recovered.machineId.toUpperCase()];
    expect(made).toMatchObject({ generation: 1, memory: 1002 * MiB, cpus: 1, state: 'Off', scsi: 1 });
    expect(made.firmware).toBeUndefined();
    const [first, second] = made.disks as Array<{ controller: string; location: number; vhd: { path: string } }>;
    expect([first!.controller, first!.location, second!.controller, second!.location]).toEqual(['IDE', 0, 'SCSI', 0]);
    // The fixed VHD as sent: the raw disk, then drkit's footer; qemu-img reads it as that disk.
    const vhd = await readFile(first!.vhd.path);
    expect(vhd.length).toBe(boot.length + 512);
    expect(vhd.subarray(0, boot.length).equals(boot)).toBe(true);
    if (hasQemuImg)
      execFileSync('qemu-img', ['compare', '-f', 'vpc', '-F', 'raw', first!.vhd.path, join(dir, 'boot.img')]);
    await adapter.recovery!.remove(recovered.machineId);
    expect(await adapter.recovery!.listRecovered(TAG)).toEqual([]);
  }, 240_000);
  it('shuts a source VM down for a planned failover: its guest first, turned off when it ignores that past the timeout', async () => {
    const host = pwshStubHost('hyperv-host');
    cleanup.push(() => host.dispose());
    const adapter = createHyperVAdapter({ sshRunner: host.runner, endpoint: 'hyperv://hv01' });
    cleanup.push(() => adapter.close());
    await adapter.connect();
    const SQL01 = '6b1e2a4c-8d3f-4e5a-9b7c-1d2e3f4a5b6c';
    const LEGACY = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
    expect(await adapter.recovery!.shutdown!(DC01, { timeoutMs: 10_000 })).toBe('guest');
    expect(host.state().vms[DC01.toUpperCase()].state).toBe('Off');
    expect(await adapter.recovery!.shutdown!(LEGACY, { timeoutMs: 10_000 })).toBe('already-off');
    const vms = host.state().vms;
    host.setState({
      ...host.state(),
      vms: { ...vms, [SQL01.toUpperCase()]: { ...vms[SQL01.toUpperCase()], ignoresShutdown: true } },
    });
    const started = Date.now();
    expect(await adapter.recovery!.shutdown!(SQL01, { timeoutMs: 2_000 })).toBe('forced');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000); // it waited for the guest first
    expect(host.state().vms[SQL01.toUpperCase()].state).toBe('Off');
  }, 120_000);
});
