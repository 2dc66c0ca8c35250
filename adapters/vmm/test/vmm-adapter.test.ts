import { afterEach, describe, expect, it } from 'vitest';
import { collectInventory, DrkitError } from '@drkit/core';
import { decodeInvocation, wrapScript } from '@drkit/powershell';
import { NO_PWSH_REASON, PWSH, pwshStubHost, type PwshStubHost } from '../../../test/harness/pwsh-stub-host.js';
import { capturedInvocation, HOSTILE_VALUES } from '../../../test/harness/ps-capture.js';
import { HYPERV_REPLICA_OPERATIONS } from '@drkit/hyperv-replica';
import { createVmmAdapter, VMM_OPERATIONS } from '../src/index.js';

// drkit's scripts in REAL pwsh against a stub VMM server (the virtualmachinemanager module
// mocked after its cmdlet reference, test/harness/pwsh-stub/; no Windows or VMM here).
const CREDENTIAL = { username: 'CORP\\svc-drkit', password: 'vmm-canary-Pa55w0rd' };
const hosts: PwshStubHost[] = [];
afterEach(() => {
  for (const h of hosts.splice(0)) h.dispose();
});
const vmmStub = () =>
  pwshStubHost('vmm-server', {
    env: { DRKIT_STUB_VMM_USER: CREDENTIAL.username, DRKIT_STUB_VMM_PASSWORD: CREDENTIAL.password },
  });
const SQL01 = '6b1e2a4c-8d3f-4e5a-9b7c-1d2e3f4a5b6c';
const APP01 = '7c2f3b5d-9e4a-4f6b-8c8d-2e3f4a5b6c7d';

async function connected(password = CREDENTIAL.password) {
  const host = vmmStub();
  hosts.push(host);
  const adapter = createVmmAdapter({
    ssh: host.runner,
    endpoint: 'vmm://svc@vmm01',
    credential: { username: CREDENTIAL.username, password: async () => password },
  });
  await adapter.connect();
  return { host, adapter };
}

if (!PWSH) console.warn(`VMM stub-server tests skipped: ${NO_PWSH_REASON}`);

describe.skipIf(!PWSH)('VMM discovery', () => {
  it('maps hosts and their cluster, VMs with cloud and host group, VM networks and SAN LUNs', async () => {
    const { adapter } = await connected();
    const inv = await collectInventory(adapter.site, adapter.discover());
    expect(inv.site).toMatchObject({ adapter: 'vmm', instanceId: 'vmm01.corp.example', version: '10.22.1287.0' });
    expect(inv.clusters).toEqual([
      expect.objectContaining({ name: 'HVCLUSTER01', hostIds: expect.arrayContaining([expect.any(String)]) }),
    ]);
    const sql = inv.machines.find((m) => m.name === 'SQL01')!;
    // The Hyper-V VM GUID: the same machine id the Hyper-V adapter reports for it.
    expect(sql).toMatchObject({
      id: SQL01,
      powerState: 'on',
      placement: { cloud: 'Tier1-Cloud', hostGroup: 'All Hosts\\Production' },
    });
    expect(sql.disks.map((d) => [d.name, d.capacityBytes])).toEqual([
      ['SCSI 0:0', 127 * 2 ** 30],
      ['SCSI 0:1', 500 * 2 ** 30],
    ]);
    expect(inv.networks.map((n) => [n.name, n.type]).sort()).toEqual([
      ['DR-VMNet', 'vm-network on DR-Datacenter'],
      ['Prod-VMNet', 'vm-network on Datacenter'],
    ]);
    expect(inv.storage.map((s) => s.type)).toEqual(['san-lun on FA-01', 'san-lun on FA-01']);
    expect(inv.warnings.join('\n')).toMatch(
      /replication group RG-Tier1 \(primary, Replicating, Normal\) holds 2 LUN\(s\): on SAN storage the replication group is the unit of consistency/,
    );
  });

  it('sends the credential only as JSON on stdin, and a wrong one comes back as auth-failed', async () => {
    const { host } = await connected();
    expect(host.calls[0]!.input).toMatchObject({ server: 'localhost', credential: CREDENTIAL });
    await expect(connected('wrong')).rejects.toSatisfy(
      (e: unknown) => DrkitError.isInstance(e) && e.code === 'auth-failed' && !e.message.includes('wrong'),
    );
  });
});

describe.skipIf(!PWSH)('VMM checkpoints', () => {
  it('claims app only for a running VM whose checkpoints are ProductionOnly', async () => {
    const { adapter, host } = await connected();
    const sql = await adapter.snapshots.take(
      await adapter.snapshots.prepare({ machineId: SQL01, consistency: 'app', tag: 'drkit-vmm' }),
    );
    expect(sql).toMatchObject({ requested: 'app', achieved: 'app', warnings: [] });
    const app = await adapter.snapshots.take(
      await adapter.snapshots.prepare({ machineId: APP01, consistency: 'app', tag: 'drkit-vmm' }),
    );
    expect(app.achieved).toBe('crash');
    expect(app.warnings[0]).toMatch(/may silently become standard ones, and VMM does not say/);
    expect((await adapter.snapshots.listTagged('drkit-vmm')).map((c) => c.machineId).sort()).toEqual(
      [SQL01, APP01].sort(),
    );
    for (const s of [sql, app]) await adapter.snapshots.delete(s);
    expect(Object.keys(host.state().checkpoints)).toEqual([]);
  });
});

describe.skipIf(!PWSH)('VMM replication groups', () => {
  it('runs a planned failover of a SAN replication group: prepare, fail over, reverse roles', async () => {
    const { adapter, host } = await connected();
    const [group] = await adapter.replicationGroups.groups();
    const after = await adapter.replicationGroups.plannedFailover(group!.id);
    expect(
      host.calls
        .filter((c) => c.name === 'vmm.replication.operate')
        .map((c) => (c.input as { operation: string }).operation),
    ).toEqual(['PrepareForFailover', 'Failover', 'ReverseRoles']);
    expect(after).toMatchObject({ state: 'Replicating', isPrimary: false });
    // Now the recovery side: a second planned failover must be run from the other site.
    await expect(adapter.replicationGroups.plannedFailover(group!.id)).rejects.toSatisfy(
      (e: unknown) => DrkitError.isInstance(e) && e.code === 'invalid-state',
    );
    await expect(adapter.replicationGroups.operate(group!.id, 'Format' as never)).rejects.toSatisfy(
      (e: unknown) => DrkitError.isInstance(e) && e.code === 'bad-input',
    );
  });

  it('shows each group as a link: a failover breaks it off, a resync reverses the roles', async () => {
    const { adapter, host } = await connected();
    const native = adapter.native.replication!;
    const [before] = await native.links();
    expect(before).toMatchObject({
      state: 'in-sync',
      rawState: 'Replicating',
      healthy: true,
      source: 'vmm01.corp.example',
    });
    await native.failover(before!.id);
    expect((await native.links())[0]).toMatchObject({ state: 'broken-off', rawState: 'FailedOver' });
    await native.resync(before!.id);
    expect((await native.links())[0]).toMatchObject({ state: 'in-sync', target: 'vmm01.corp.example' });
    expect(
      host.calls
        .filter((c) => c.name === 'vmm.replication.operate')
        .map((c) => (c.input as { operation: string }).operation),
    ).toEqual(['PrepareForFailover', 'Failover', 'ReverseRoles']);
    await expect(native.resync(before!.id)).rejects.toThrow(/is Replicating: nothing to resync/);
    await expect(native.update(before!.id)).rejects.toMatchObject({ capability: 'native.replication.update' });
  });
});

describe("every VMM script builder (and Hyper-V Replica's, run through VMM), fed hostile values", () => {
  it('sends the fixed script whatever the values, the password included: none reaches script text', async () => {
    for (const op of [...VMM_OPERATIONS, ...HYPERV_REPLICA_OPERATIONS]) {
      for (const value of HOSTILE_VALUES) {
        const input = {
          server: value,
          credential: { username: value, password: value },
          vmmId: value,
          tag: value,
          checkpointId: value,
          groupId: value,
          operation: value,
          computerName: value,
          vmId: value,
          action: value,
        };
        const wire = await capturedInvocation(op, input);
        const decoded = decodeInvocation(wire.line, wire.stdin);
        expect(decoded.script, op.name).toBe(wrapScript(op.body));
        expect(/^[\x00-\x7f]*$/.test(decoded.input)).toBe(true);
        expect(JSON.parse(decoded.input)).toEqual(input);
      }
    }
  });
});
