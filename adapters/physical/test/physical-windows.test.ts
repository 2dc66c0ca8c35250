import { describe, expect, it } from 'vitest';
import { describeAdapterContract } from '@drkit/contract';
import { fakeWindowsHost } from '../../../test/harness/fake-windows-host.js';
import { createPhysicalAdapter } from '../src/index.js';

// MOCK: no Windows host here (these scripts are not yet run in pwsh, unlike Hyper-V's and
// VMM's). The fake answers as Windows Server 2022 does
// (cmd.exe for `uname`, CIM, diskshadow and vssadmin outputs after Microsoft's documentation).
describeAdapterContract({
  name: 'physical against a fake Windows host (transcripts)',
  adapter: () => createPhysicalAdapter({ runner: fakeWindowsHost().runner }),
  expect: { machines: 1, hosts: 1 },
});

describe('physical: Windows over OpenSSH and PowerShell (fake host)', () => {
  it('finds Windows by asking cmd.exe, and discovers it from CIM', async () => {
    const host = fakeWindowsHost();
    const adapter = createPhysicalAdapter({ runner: host.runner });
    const caps = await adapter.connect();
    expect(caps.snapshot).toEqual({ consistency: ['crash', 'app'], fusedPhases: true, mechanisms: ['vss'] });
    expect(caps.replication.diskRead).toBe(false);
    const items = [];
    for await (const i of adapter.discover()) items.push(i);
    const m = items.find((i) => i.kind === 'machine');
    if (m?.kind !== 'machine') throw new Error('no machine');
    expect(m.machine).toMatchObject({
      id: '4c4c4544-0042-3510-8052-b7c04f4e3732',
      name: 'WIN-SQL01',
      os: { family: 'windows', name: 'Microsoft Windows Server 2022 Standard' },
      cpuCount: 8,
      memoryBytes: 34359738368,
    });
    expect(m.machine.disks.map((d) => [d.path, d.capacityBytes])).toEqual([
      ['\\\\.\\PHYSICALDRIVE0', 479554560000],
      ['\\\\.\\PHYSICALDRIVE1', 1919850381312],
    ]);
    expect(adapter.site).toMatchObject({ product: 'Microsoft Windows Server 2022 Standard', version: '10.0.20348' });
  });

  it('takes an app-consistent point as a VSS copy backup of every NTFS/ReFS volume, writers reported', async () => {
    const host = fakeWindowsHost();
    const adapter = createPhysicalAdapter({ runner: host.runner });
    await adapter.connect();
    const machineId = adapter.site.instanceId!;
    const prepared = await adapter.snapshots.prepare({ machineId, consistency: 'app', tag: 'drkit-win' });
    const taken = await adapter.snapshots.take(prepared);
    expect(host.calls.find((c) => c.name === 'windows.vss.take')!.input).toMatchObject({
      volumes: ['C:', 'D:'],
      writers: true,
      tag: 'drkit-win',
    });
    expect(taken.achieved).toBe('app');
    expect(taken.vss).toEqual({
      backupType: 'copy-only',
      writers: [
        { name: 'System Writer', state: 'Stable', failed: false },
        { name: 'SqlServerWriter', state: 'Stable', failed: false },
        { name: 'Registry Writer', state: 'Stable', failed: false },
      ],
    });
    expect(taken.disks.map((d) => d.name)).toEqual(['C:', 'D:']);
    expect((await adapter.snapshots.listTagged('drkit-win')).map((s) => s.id)).toEqual([taken.id]);
    await adapter.snapshots.delete(taken);
    expect(await adapter.snapshots.listTagged('drkit-win')).toEqual([]);
  });

  it('says the point is only crash-consistent when a writer failed, and names it', async () => {
    const host = fakeWindowsHost({ failedWriter: 'SqlServerWriter' });
    const adapter = createPhysicalAdapter({ runner: host.runner, disks: ['D:\\'] });
    await adapter.connect();
    const prepared = await adapter.snapshots.prepare({
      machineId: adapter.site.instanceId!,
      consistency: 'app',
      tag: 'drkit-win',
    });
    const taken = await adapter.snapshots.take(prepared);
    expect(taken.achieved).toBe('crash');
    expect(taken.warnings.join()).toMatch(/VSS writers failed: SqlServerWriter \(Failed\)/);
    expect(taken.disks.map((d) => d.name)).toEqual(['D:']);
  });

  it('refuses a volume it cannot shadow', async () => {
    const adapter = createPhysicalAdapter({ runner: fakeWindowsHost().runner, disks: ['E:'] });
    await expect(adapter.connect()).rejects.toThrow(/E: is not an NTFS or ReFS volume/);
  });
});
