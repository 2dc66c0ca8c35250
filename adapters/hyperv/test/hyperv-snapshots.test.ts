import { afterEach, describe, expect, it } from 'vitest';
import { collectInventory, DrkitError, takeGroupPoint } from '@drkit/core';
import { NO_PWSH_REASON, PWSH, pwshStubHost, type PwshStubHost } from '../../../test/harness/pwsh-stub-host.js';
import { achievedConsistency, createHyperVAdapter, type TakeResult } from '../src/index.js';

// drkit's scripts in REAL pwsh against a stub Hyper-V host (cmdlets and WMI classes mocked
// after Microsoft's docs, test/harness/pwsh-stub/hyperv-host.ps1; no Windows here): what
// drkit asks for, and how it reads what the host answers.
const SQL01 = '6b1e2a4c-8d3f-4e5a-9b7c-1d2e3f4a5b6c';
const WEB01 = '0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f';
const LEGACY = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

const hosts: PwshStubHost[] = [];
afterEach(() => {
  for (const h of hosts.splice(0)) h.dispose();
});
const snapshotsOn = (host: PwshStubHost) => Object.keys(host.state().snapshots ?? {}).length;

async function connected() {
  const host = pwshStubHost('hyperv-host');
  hosts.push(host);
  const adapter = createHyperVAdapter({ sshRunner: host.runner, endpoint: 'hyperv://administrator@hv01' });
  await adapter.connect();
  return { host, adapter };
}

if (!PWSH) console.warn(`Hyper-V stub-host tests skipped: ${NO_PWSH_REASON}`);

describe.skipIf(!PWSH)('Hyper-V discovery', () => {
  it('maps VMs, their VHDs, NICs and integration services; says what it leaves out', async () => {
    const { adapter } = await connected();
    const inv = await collectInventory(adapter.site, adapter.discover());
    expect(inv.site).toMatchObject({
      adapter: 'hyperv',
      product: 'Microsoft Windows Server 2022 Datacenter',
      instanceId: '4c4c4544-0051-3710-8056-b7c04f4e3732',
    });
    const sql = inv.machines.find((m) => m.name === 'SQL01')!;
    expect(sql).toMatchObject({ id: SQL01, powerState: 'on', cpuCount: 8, guestAgent: { state: 'running' } });
    expect(sql.disks.map((d) => [d.name, d.capacityBytes, d.provisioning])).toEqual([
      ['SCSI 0:0', 127 * 2 ** 30, 'vhdx-dynamic'],
      ['SCSI 0:1', 500 * 2 ** 30, 'vhdx-fixed'],
    ]);
    expect(sql.nics[0]).toMatchObject({
      macAddress: '00:15:5d:0a:1b:01',
      networkId: 'switch:3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f',
    });
    const legacy = inv.machines.find((m) => m.name === 'LEGACY-APP')!;
    expect(legacy.disks).toHaveLength(1);
    expect(legacy.guestAgent!.state).toBe('not-running');
    expect(inv.warnings.join('\n')).toMatch(/LEGACY-APP: pass-through disk at SCSI 0:0 has no virtual hard disk/);
    expect(inv.networks.map((n) => n.type).sort()).toEqual(['vswitch-external', 'vswitch-private']);
  });
});

describe.skipIf(!PWSH)('Hyper-V snapshots', () => {
  it('asks WMI for an app-consistent recovery snapshot and reports app when the guest quiesced', async () => {
    const { adapter, host } = await connected();
    const prepared = await adapter.snapshots.prepare({ machineId: SQL01, consistency: 'app', tag: 'drkit-app' });
    expect(prepared.frozenAt).toBeUndefined(); // fused: nothing is held between calls
    const taken = await adapter.snapshots.take(prepared);
    expect(taken).toMatchObject({
      requested: 'app',
      achieved: 'app',
      warnings: [],
      disks: [{ name: 'SCSI 0:0' }, { name: 'SCSI 0:1' }],
    });
    expect(host.calls.find((c) => c.name === 'hyperv.snapshot.take')!.input).toEqual({
      vmId: SQL01,
      tag: 'drkit-app',
      level: 1,
    });
    // The embedded Msvm_VirtualSystemSnapshotSettingData carried ConsistencyLevel 1, and the tag was set by ModifySystemSettings.
    expect(host.state().snapshots[taken.id]).toMatchObject({ level: 1, name: 'drkit-app' });
    expect(await adapter.snapshots.listTagged('drkit-app')).toEqual([
      { id: taken.id, machineId: SQL01, takenAt: taken.takenAt },
    ]);
  });

  it("catches the silent fallback to a standard checkpoint and says crash, with VMMS's words", async () => {
    const { adapter } = await connected();
    const taken = await adapter.snapshots.take(
      await adapter.snapshots.prepare({ machineId: WEB01, consistency: 'app', tag: 'drkit-web' }),
    );
    expect(taken.achieved).toBe('crash');
    expect(taken.warnings.join('\n')).toMatch(/VSS integration service answered "No Contact"/);
    expect(taken.warnings.join('\n')).toMatch(/VMMS event 18016: Could not create a production checkpoint/);
  });

  it('never claims app for a VM that is off', async () => {
    const { adapter } = await connected();
    const taken = await adapter.snapshots.take(
      await adapter.snapshots.prepare({ machineId: LEGACY, consistency: 'app', tag: 'drkit-off' }),
    );
    expect(taken).toMatchObject({ achieved: 'crash' });
    expect(taken.warnings[0]).toMatch(/the VM was Off/);
  });

  it('makes the group point fail under require, and crash with the reason under fallback-to-crash', async () => {
    const { adapter, host } = await connected();
    const members = [
      { adapter, machineId: SQL01, name: 'SQL01' },
      { adapter, machineId: WEB01, name: 'WEB01' },
    ];
    await expect(takeGroupPoint({ members, consistency: 'app' })).rejects.toThrow(
      /app-consistent point not achieved.*WEB01/,
    );
    expect(snapshotsOn(host)).toBe(0); // both snapshots rolled back
    const point = await takeGroupPoint({ members, consistency: 'app', policy: 'fallback-to-crash' });
    expect(point.statement).toMatchObject({ requested: 'app', achieved: 'crash', basis: 'independent' });
    expect(point.statement.reason).toMatch(/WEB01/);
  });

  it('asks for crash with ConsistencyLevel 2 and deletes through DestroySnapshot', async () => {
    const { adapter, host } = await connected();
    const taken = await adapter.snapshots.take(
      await adapter.snapshots.prepare({ machineId: SQL01, consistency: 'crash', tag: 'drkit-crash' }),
    );
    expect(host.calls.find((c) => c.name === 'hyperv.snapshot.take')!.input).toMatchObject({ level: 2 });
    expect(host.state().snapshots[taken.id]).toMatchObject({ level: 2, name: 'drkit-crash' });
    await adapter.snapshots.delete(taken);
    expect(snapshotsOn(host)).toBe(0);
  });

  it("refuses unknown VMs and tags that are not drkit's, before the host is asked anything", async () => {
    const { adapter, host } = await connected();
    const before = host.calls.length;
    const code = (c: string) => (e: unknown) => DrkitError.isInstance(e) && e.code === c;
    await expect(
      adapter.snapshots.prepare({ machineId: "x' OR 1=1", consistency: 'crash', tag: 'drkit-a' }),
    ).rejects.toSatisfy(code('not-found'));
    await expect(
      adapter.snapshots.prepare({ machineId: SQL01, consistency: 'crash', tag: "a'; Stop-Computer" }),
    ).rejects.toSatisfy(code('bad-input'));
    expect(host.calls.length).toBe(before);
  });
});

describe('reading what the host says about consistency', () => {
  const base: TakeResult = {
    snapshotId: 'Microsoft:X',
    name: 't',
    created: null,
    jobState: 7,
    jobMessage: '',
    events: [],
    vmState: 'Running',
    vss: { enabled: true, status: 'OK' },
  };
  it('takes a job that completed with warnings as a fallback, and never lifts a crash request', () => {
    expect(
      achievedConsistency('app', { ...base, jobState: 32768, jobMessage: 'The guest could not be quiesced.' }),
    ).toMatchObject({ achieved: 'crash' });
    expect(achievedConsistency('app', { ...base, vss: { enabled: false, status: '' } }).warnings[0]).toMatch(
      /disabled/,
    );
    expect(achievedConsistency('crash', base)).toEqual({ achieved: 'crash', warnings: [] });
    expect(
      achievedConsistency('app', { ...base, events: [{ id: 19060, message: "'SQL01' started successfully." }] }),
    ).toEqual({ achieved: 'app', warnings: [] });
  });
});
