import { describe, expect, it } from 'vitest';
import { fakeVolumeHost } from '../../../test/harness/fake-volume-host.js';
import { createPhysicalAdapter } from '../src/index.js';
import { snapshotFile } from '../src/snapshot-commands.js';

// MOCK: LVM and ZFS cannot run on this kernel (no device-mapper, no ZFS). The adapter's real
// scripts run in a local shell against stand-in tools that answer in the documented output
// formats (test/harness/fake-volume-tools) and log every call.
describe('physical: LVM and ZFS volumes (stand-in tools)', () => {
  const open = async (disks?: string[]) => {
    const host = await fakeVolumeHost();
    const adapter = createPhysicalAdapter({ runner: host.runner, ...(disks && { disks }) });
    await adapter.connect();
    return { host, adapter, machineId: adapter.site.instanceId! };
  };
  const VOLUMES = ['/dev/vg0/data', '/dev/vg0/logs', '/dev/zvol/tank/vol1'];

  it('discovers LVs and zvols as disks named by volume, and says which cannot be snapshotted', async () => {
    const { adapter } = await open();
    const items = [];
    for await (const item of adapter.discover()) items.push(item);
    const machine = items.find((i) => i.kind === 'machine')!;
    if (machine.kind !== 'machine') throw new Error('no machine');
    expect(machine.machine.disks.map((d) => [d.id.split('/').slice(1).join('/'), d.provisioning])).toEqual([
      ['QM00001', 'no-snapshot'],
      ['lvm/vg0/data', 'snapshot:lvm'],
      ['lvm/vg0/logs', 'snapshot:lvm'],
      ['zvol/tank/vol1', 'snapshot:zfs'],
      ['zvol/tank/vol2', 'no-snapshot'],
    ]);
    const warnings = items.flatMap((i) => (i.kind === 'warning' ? [i.message] : []));
    expect(warnings.join('\n')).toMatch(/zfs set snapdev=visible tank\/vol2/);
    // Someone else's snapshot volume is not a disk to protect.
    expect(machine.machine.disks.some((d) => d.path?.includes('manual_snap'))).toBe(false);
    await adapter.close();
  });

  it('takes one app-consistent point: freeze, an LVM snapshot per volume, ONE zfs snapshot, thaw', async () => {
    const { host, adapter, machineId } = await open(VOLUMES);
    expect(adapter.capabilities.snapshot.mechanisms).toEqual(['lvm', 'zfs', 'fsfreeze']);
    // No extent maps to diff: every later run is a resync by remote checksums.
    expect(adapter.capabilities.replication.changeTracking).toBe(false);
    const prepared = await adapter.snapshots.prepare({ machineId, consistency: 'app', tag: 'drkit-vol' });
    const taken = await adapter.snapshots.take(prepared).finally(() => adapter.snapshots.release(prepared));
    expect(taken.achieved).toBe('app');
    const calls = (await host.state()).calls.filter(
      (c) => ['fsfreeze', 'lvcreate', 'zfs'].includes(c[0]!) && c[1] !== 'list',
    );
    const name = taken.id;
    expect(calls).toEqual([
      ['fsfreeze', '-f', '/srv/data'],
      ['fsfreeze', '-f', '/srv/logs'],
      ['lvcreate', '--snapshot', '--name', `data_${name}`, '--extents', '20%ORIGIN', '--addtag', 'drkit', 'vg0/data'],
      ['lvcreate', '--snapshot', '--name', `logs_${name}`, '--extents', '20%ORIGIN', '--addtag', 'drkit', 'vg0/logs'],
      ['zfs', 'snapshot', `tank/vol1@${name}`],
      ['fsfreeze', '-u', '/srv/data'],
      ['fsfreeze', '-u', '/srv/logs'],
    ]);
    await adapter.snapshots.delete(taken);
    await adapter.close();
  });

  it("lists and deletes only its own snapshots, not the backup tool's LV or the @daily one", async () => {
    const { host, adapter, machineId } = await open(VOLUMES);
    const prepared = await adapter.snapshots.prepare({ machineId, consistency: 'crash', tag: 'drkit-left' });
    const taken = await adapter.snapshots.take(prepared);
    await adapter.snapshots.release(prepared);
    // Two LVM snapshots and a ZFS one, nothing frozen: not one instant, and said so.
    expect(taken.warnings.join()).toMatch(/snapshotted one after another \(3 snapshots, nothing frozen\)/);
    expect(await adapter.snapshots.listTagged('drkit-')).toEqual([
      { id: taken.id, machineId, takenAt: expect.any(String) },
    ]);
    await adapter.snapshots.delete(taken);
    expect(await adapter.snapshots.listTagged('drkit-')).toEqual([]);
    const st = await host.state();
    expect(st.lvs.map((l) => l.lv_name)).toEqual(['data', 'logs', 'manual_snap']);
    expect(st.zfs_snapshots).toEqual(['tank/vol1@daily']);
  });

  it('reads a volume snapshot through its block device, and resyncs by checksums every time', async () => {
    const { adapter, machineId } = await open(VOLUMES);
    const prepared = await adapter.snapshots.prepare({ machineId, consistency: 'crash', tag: 'drkit-read' });
    const taken = await adapter.snapshots.take(prepared);
    await adapter.snapshots.release(prepared);
    const disks = taken.disks.map((d) => d.diskId.split('/').slice(1).join('/'));
    expect(disks).toEqual(['lvm/vg0/data', 'lvm/vg0/logs', 'zvol/tank/vol1']);
    const lv = {
      id: 'm/lvm/vg0/data',
      device: {} as never,
      mountpoints: [],
      mechanism: { kind: 'lvm' as const, vg: 'vg0', lv: 'data' },
    };
    const zv = {
      id: 'm/zvol/tank/vol1',
      device: {} as never,
      mountpoints: [],
      mechanism: { kind: 'zfs' as const, dataset: 'tank/vol1' },
    };
    expect(snapshotFile(lv, taken.id)).toBe(`/dev/vg0/data_${taken.id}`);
    expect(snapshotFile(zv, taken.id)).toBe(`/dev/zvol/tank/vol1@${taken.id}`);
    const source = await adapter.replication.openDisk(taken.id, machineId, taken.disks[0]!.diskId);
    const changes = await source.changedSince(taken.id);
    expect(changes).toMatchObject({
      kind: 'unknown',
      reason: expect.stringMatching(/no extent map.*resync by remote checksums/),
    });
    await source.close();
    await adapter.snapshots.delete(taken);
    await adapter.close();
  });
});
