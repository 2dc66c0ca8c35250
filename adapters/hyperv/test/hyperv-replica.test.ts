import { afterEach, describe, expect, it } from 'vitest';
import { NO_PWSH_REASON, PWSH, pwshStubHost, type PwshStubHost } from '../../../test/harness/pwsh-stub-host.js';
import { createHyperVAdapter, plannedFailover } from '../src/index.js';

// Two stub hosts in REAL pwsh (the Hyper-V module's replica cmdlets mocked after Microsoft's
// docs, test/harness/pwsh-stub/hyperv-host.ps1; no Windows here): HV01 the primary, HV02 the replica.
const SQL01 = '6b1e2a4c-8d3f-4e5a-9b7c-1d2e3f4a5b6c';
const WEB01 = '0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f';
const hosts: PwshStubHost[] = [];
afterEach(() => {
  for (const h of hosts.splice(0)) h.dispose();
});
const relationship = (host: PwshStubHost, vmId: string) => host.state().replication[vmId.toUpperCase()];
const pair = () => {
  const primaryHost = pwshStubHost('hyperv-host');
  const replicaHost = pwshStubHost('hyperv-host', { role: 'replica', computerName: 'HV02' });
  hosts.push(primaryHost, replicaHost);
  return {
    primaryHost,
    replicaHost,
    primary: createHyperVAdapter({ sshRunner: primaryHost.runner, endpoint: 'hyperv://hv01' }),
    replica: createHyperVAdapter({ sshRunner: replicaHost.runner, endpoint: 'hyperv://hv02' }),
  };
};

if (!PWSH) console.warn(`Hyper-V Replica tests skipped: ${NO_PWSH_REASON}`);

describe.skipIf(!PWSH)('Hyper-V Replica', () => {
  it('reports each relationship with its state and health, and which ones need a resync', async () => {
    const { primary } = pair();
    const rows = await primary.replica.relationships();
    expect(rows.map((r) => [r.vmName, r.mode, r.state, r.health, r.needsResync])).toEqual([
      ['SQL01', 'Primary', 'Replicating', 'Normal', false],
      ['WEB01', 'Primary', 'WaitingForStartResynchronize', 'Critical', true],
    ]);
  });

  it('resynchronizes a relationship whose log outgrew the disk', async () => {
    const { primary, primaryHost } = pair();
    await primary.replica.resync(WEB01);
    expect(relationship(primaryHost, WEB01).state).toBe('Resynchronizing');
    await expect(primary.replica.resync(SQL01)).rejects.toThrow(/replication state of 'SQL01' is Replicating/);
  });

  it('runs a planned failover in order: stop and send the last changes, fail over, reverse, start', async () => {
    const { primary, replica, primaryHost, replicaHost } = pair();
    await plannedFailover(primary.replica, replica.replica, SQL01);
    const steps = [...primaryHost.calls, ...replicaHost.calls]
      .filter((c) => c.name === 'hyperv.replica.action')
      .map((c) => (c.input as { action: string }).action);
    expect(steps).toEqual(['prepare-failover', 'failover', 'reverse', 'start-vm']);
    expect(relationship(replicaHost, SQL01)).toMatchObject({ state: 'Replicating', mode: 'Primary' });
    expect(relationship(primaryHost, SQL01)).toMatchObject({ state: 'PreparedForFailover' });
    expect(primaryHost.state().vms[SQL01.toUpperCase()].state).toBe('Off'); // stopped before the last changes left it
    expect(replicaHost.state().vms[SQL01.toUpperCase()].state).toBe('Running');
  });

  it('refuses a planned failover that would lose data or run from the wrong side', async () => {
    const { primary, replica } = pair();
    await expect(plannedFailover(primary.replica, replica.replica, WEB01)).rejects.toThrow(
      /WaitingForStartResynchronize: a planned failover needs it replicating/,
    );
    await expect(plannedFailover(replica.replica, primary.replica, SQL01)).rejects.toThrow(/is the Replica here/);
  });

  it('creates a relationship with the replica server and starts the initial copy over the network', async () => {
    const { primary, primaryHost } = pair();
    const LEGACY = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
    await primary.replica.enable(LEGACY, { replicaServer: 'hv02.corp.example' });
    expect(primaryHost.calls.at(-1)!.input).toEqual({
      vmId: LEGACY,
      action: 'enable',
      replicaServer: 'hv02.corp.example',
      port: '80',
      authentication: 'Kerberos',
      frequencySec: '300',
    });
    expect((await primary.replica.relationships()).find((r) => r.vmId === LEGACY)!.state).toBe(
      'ReadyForInitialReplication',
    );
    await primary.replica.startInitial(LEGACY, { method: 'network' });
    expect(relationship(primaryHost, LEGACY).state).toBe('Replicating');
    await expect(
      primary.replica.enable(LEGACY, { replicaServer: 'hv02', authentication: 'Certificate' }),
    ).rejects.toThrow(/thumbprint/);
  });

  it('lists each relationship as a link in the shape every platform shares', async () => {
    const { primary } = pair();
    const links = await primary.native.replication!.links();
    expect(links.map((l) => [l.id, l.source, l.target, l.state, l.rawState, l.healthy])).toEqual([
      [SQL01, 'hv01.corp.example', 'hv02.corp.example', 'in-sync', 'Replicating', true],
      [WEB01, 'hv01.corp.example', 'hv02.corp.example', 'needs-resync', 'WaitingForStartResynchronize', false],
    ]);
    expect(links[1]!.reasons).toEqual(['replication health is Critical (WEB01, Primary)']);
    expect(links[0]!.lastTransferAt).toBe('2026-11-23T06:55:00.000Z');
    expect(links[0]!.lagSeconds).toBeGreaterThan(0);
  });

  it('fails a link over on the replica side, then reverses it on resync; the primary side refuses', async () => {
    const { primary, replica, replicaHost } = pair();
    await expect(primary.native.replication!.failover(SQL01)).rejects.toThrow(
      /SQL01 is the Primary here: fail over on its replica server hv02.corp.example/,
    );
    await replica.native.replication!.failover(SQL01);
    expect(relationship(replicaHost, SQL01)).toMatchObject({ state: 'FailedOver', mode: 'Replica' });
    expect(replicaHost.state().vms[SQL01.toUpperCase()].state).toBe('Running');
    expect((await replica.native.replication!.links()).find((l) => l.id === SQL01)!.state).toBe('broken-off');
    await replica.native.replication!.resync(SQL01);
    expect(relationship(replicaHost, SQL01)).toMatchObject({ state: 'Replicating', mode: 'Primary' });
  });

  it('resyncs only a link that needs it, and has no send-now', async () => {
    const { primary, primaryHost } = pair();
    await primary.native.replication!.resync(WEB01);
    expect(relationship(primaryHost, WEB01).state).toBe('Resynchronizing');
    await expect(primary.native.replication!.resync(SQL01)).rejects.toThrow(
      /is Replicating \(Primary\): nothing to resync/,
    );
    await expect(primary.native.replication!.update(SQL01)).rejects.toMatchObject({
      code: 'unsupported',
      capability: 'native.replication.update',
    });
    await expect(primary.native.replication!.resync('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({
      code: 'not-found',
    });
  });
});
