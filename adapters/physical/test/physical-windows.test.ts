import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeAdapterContract } from '@drkit/contract';
import { ALLOCATION_GRANULARITY as G, openDirStore, replicateGroup, type Adapter } from '@drkit/core';
import { NO_PWSH_REASON, PWSH, pwshStubHost, type PwshStubHost } from '../../../test/harness/pwsh-stub-host.js';
import { randomBytes } from 'node:crypto';
import { stubVolume } from '../../../test/harness/stub-windows-volume.js';
import { createPhysicalAdapter } from '../src/index.js';

const MiB = 1024 * 1024;
const CLUSTER = 4096;

// MOCK of Windows, REAL PowerShell: drkit's scripts run unchanged in pwsh 7 against a stub
// Windows Server 2022 (test/harness/pwsh-stub/windows-server.ps1: the Win32_* classes,
// diskshadow and vssadmin with their documented output, and the one DeviceIoControl call the
// volume helper makes, answered from files). The block helper that reads the shadow copies is
// drkit's C#, compiled and run by pwsh as Windows PowerShell would.
const hosts: PwshStubHost[] = [];
const stubHost = () => {
  const host = pwshStubHost('windows-server');
  hosts.push(host);
  return host;
};
afterAll(() => {
  for (const h of hosts) h.dispose();
});

describe.skipIf(!PWSH)('physical: Windows over OpenSSH and PowerShell', () => {
  describeAdapterContract({
    name: 'physical against a stub Windows host in real pwsh',
    adapter: () => createPhysicalAdapter({ runner: stubHost().runner }),
    expect: { machines: 1, hosts: 1 },
  });

  it('finds Windows by asking cmd.exe, and discovers it from CIM', async () => {
    const host = stubHost();
    const adapter = createPhysicalAdapter({ runner: host.runner });
    const caps = await adapter.connect();
    expect(caps.snapshot).toEqual({ consistency: ['crash', 'app'], fusedPhases: true, mechanisms: ['vss'] });
    expect(caps.replication).toEqual({ diskRead: true, changeTracking: false, remoteHashing: true });
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
      addresses: ['192.0.2.40', '2001:db8::40'],
    });
    expect(m.machine.disks.map((d) => [d.path, d.capacityBytes])).toEqual([
      ['\\\\.\\PHYSICALDRIVE0', 479554560000],
      ['\\\\.\\PHYSICALDRIVE1', 1919850381312],
    ]);
    expect(adapter.site).toMatchObject({ product: 'Microsoft Windows Server 2022 Standard', version: '10.0.20348' });
    await adapter.close();
  });

  it('takes an app-consistent point as a VSS copy backup of every NTFS/ReFS volume, writers reported', async () => {
    const host = stubHost();
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
    // Each volume's length as its shadow's device reports it, not the file system's capacity.
    expect(taken.disks.map((d) => [d.name, d.sizeBytes])).toEqual([
      ['C:', 12 * MiB],
      ['D:', 20 * MiB],
    ]);
    expect(Object.keys(host.state().shadows)).toHaveLength(2);
    expect((await adapter.snapshots.listTagged('drkit-win')).map((s) => s.id)).toEqual([taken.id]);
    await adapter.snapshots.delete(taken);
    expect(await adapter.snapshots.listTagged('drkit-win')).toEqual([]);
    expect(host.state().shadows).toEqual({});
    await adapter.close();
  });

  it('says the point is only crash-consistent when a writer failed, and names it', async () => {
    const host = stubHost();
    const adapter = createPhysicalAdapter({ runner: host.runner, disks: ['D:\\'] });
    await adapter.connect();
    host.setState({ ...host.state(), failedWriter: 'SqlServerWriter' });
    const prepared = await adapter.snapshots.prepare({
      machineId: adapter.site.instanceId!,
      consistency: 'app',
      tag: 'drkit-win',
    });
    const taken = await adapter.snapshots.take(prepared);
    expect(taken.achieved).toBe('crash');
    expect(taken.warnings.join()).toMatch(/VSS writers failed: SqlServerWriter \(Failed\)/);
    expect(taken.disks.map((d) => d.name)).toEqual(['D:']);
    await adapter.snapshots.delete(taken);
    await adapter.close();
  });

  it('says why VSS refused a set, and leaves nothing of it on the host', async () => {
    const host = stubHost();
    const adapter = createPhysicalAdapter({ runner: host.runner });
    await adapter.connect();
    host.setState({ ...host.state(), vssFault: 'The shadow copy provider had an unexpected error.' });
    const prepared = await adapter.snapshots.prepare({
      machineId: adapter.site.instanceId!,
      consistency: 'crash',
      tag: 'drkit-win',
    });
    const failed = await adapter.snapshots.take(prepared).catch((e: unknown) => e);
    expect(failed).toMatchObject({ code: 'platform', fault: 'VssCreateFailed' });
    expect(String(failed)).toMatch(
      /VSS shadow copy failed \(diskshadow exit -2147212529, 0 of 2 volumes\).*unexpected error/,
    );
    expect(await adapter.snapshots.listTagged('drkit-win')).toEqual([]);
    expect(host.state().shadows).toEqual({});
    await adapter.close();
  });

  it('refuses a volume it cannot shadow', async () => {
    const adapter = createPhysicalAdapter({ runner: stubHost().runner, disks: ['E:'] });
    await expect(adapter.connect()).rejects.toThrow(/E: is not an NTFS or ReFS volume/);
    await adapter.close();
  });

  it('replicates used clusters only, resyncs by host checksums, and releases every shadow', async () => {
    const host = stubHost();
    const adapter = createPhysicalAdapter({ runner: host.runner, disks: ['D:'] });
    await adapter.connect();
    const volume = stubVolume(host, 'D');
    // Used: clusters 0–15 (seed), 1 MiB of data at 3 MiB, 8 KiB at 9 MiB. Free space holds
    // old bytes everywhere else, and the volume's last 512 bytes (past its clusters) a boot
    // sector copy.
    volume.fill(0xee, 0, volume.size);
    volume.write(0, randomBytes(16 * CLUSTER));
    volume.write(3 * MiB, randomBytes(MiB));
    volume.write(9 * MiB, randomBytes(2 * CLUSTER));
    volume.write(volume.size - 512, randomBytes(512));
    volume.use([
      [0, 16],
      [(3 * MiB) / CLUSTER, MiB / CLUSTER],
      [(9 * MiB) / CLUSTER, 2],
    ]);
    const store = await openDirStore(await mkdtemp(join(tmpdir(), 'drkit-win-store-')));
    const replicate = () => replicateOnce(adapter, store);

    const first = await replicate();
    const d1 = first.point.members[0]!.disks[0]!;
    expect(d1).toMatchObject({ name: 'D:', mode: 'initial', sizeBytes: 20 * MiB });
    // What is used, rounded out to 64 KiB: the metadata, the MiB at 3, the 8 KiB at 9 and the
    // volume's last 4 KiB (past its last cluster: the boot sector copy).
    expect(G).toBe(64 * 1024);
    expect(d1.bytesRead).toBe(G + MiB + G + G);
    expect(host.state().shadows).toEqual({});
    const expected1 = volume.asPointSees();
    expect((await restore(store, first.point.id)).equals(expected1)).toBe(true);

    // A file rewritten in place (one cluster), a file deleted (its clusters freed, bytes left),
    // free space churned: only the rewritten cluster differs in the point.
    volume.write(3 * MiB + 5 * CLUSTER, randomBytes(CLUSTER));
    volume.use([
      [0, 16],
      [(3 * MiB) / CLUSTER, MiB / CLUSTER],
    ]);
    volume.write(15 * MiB, randomBytes(MiB));
    const second = await replicate();
    const d2 = second.point.members[0]!.disks[0]!;
    expect(d2.mode).toBe('resync');
    expect(d2.resyncReason).toMatch(/no change journal.*checksums computed on the host/);
    // The rewritten cluster, and the 64 KiB around the freed 8 KiB that now read as zeros.
    expect(d2.bytesWritten).toBe(CLUSTER + G);
    expect((await restore(store, second.point.id)).equals(volume.asPointSees())).toBe(true);
    expect((await restore(store, first.point.id)).equals(expected1)).toBe(true);
    expect(host.state().shadows).toEqual({});
    await store.close();
    await adapter.close();
  });

  it('finds a shadow set a crashed run left behind by its tag, and deletes it', async () => {
    const host = stubHost();
    const crashed = createPhysicalAdapter({ runner: host.runner });
    await crashed.connect();
    const machineId = crashed.site.instanceId!;
    const taken = await crashed.snapshots.take(
      await crashed.snapshots.prepare({ machineId, consistency: 'crash', tag: 'drkit-grp' }),
    );
    // The run dies here: its connection goes, the shadows stay.
    await crashed.close();
    const next = createPhysicalAdapter({ runner: host.runner });
    await next.connect();
    const left = await next.snapshots.listTagged('drkit-grp');
    expect(left.map((s) => s.id)).toEqual([taken.id]);
    for (const s of left) await next.snapshots.delete(s);
    expect(host.state().shadows).toEqual({});
    expect(existsSync(join(host.disksDir, 'HarddiskVolumeShadowCopy11'))).toBe(false);
    await expect(next.replication.openDisk(taken.id, machineId, `${machineId}/volume-C`)).rejects.toThrow(
      /no drkit shadow set/,
    );
    await next.close();
  });
});

async function replicateOnce(adapter: Adapter, store: Awaited<ReturnType<typeof openDirStore>>) {
  return replicateGroup({
    members: [{ adapter, machineId: adapter.site.instanceId!, name: 'WIN-SQL01' }],
    consistency: 'app',
    store,
  });
}

async function restore(store: Awaited<ReturnType<typeof openDirStore>>, pointId: string): Promise<Buffer> {
  const out = await mkdtemp(join(tmpdir(), 'drkit-win-restore-'));
  const restored = await store.restore(pointId, out);
  return readFileSync(restored.files[0]!.path);
}

describe.skipIf(PWSH)('physical: Windows', () => {
  it.skip(`needs pwsh: ${NO_PWSH_REASON}`, () => {});
});
