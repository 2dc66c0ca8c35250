import { describe, expect, it } from 'vitest';
import { fakeHyperVHost } from '../../../test/harness/fake-hyperv-host.js';
import { createHyperVAdapter, plannedFailover } from '../src/index.js';

// Two stub hosts (no Windows here): HV01 the primary, HV02 the replica.
const SQL01 = '6b1e2a4c-8d3f-4e5a-9b7c-1d2e3f4a5b6c';
const WEB01 = '0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f';
const pair = () => {
  const primaryHost = fakeHyperVHost();
  const replicaHost = fakeHyperVHost({ role: 'replica' });
  return {
    primaryHost,
    replicaHost,
    primary: createHyperVAdapter({ sshRunner: primaryHost.runner, endpoint: 'hyperv://hv01' }),
    replica: createHyperVAdapter({ sshRunner: replicaHost.runner, endpoint: 'hyperv://hv02' }),
  };
};

describe('Hyper-V Replica', () => {
  it('reports each relationship with its state and health, and which ones need a resync', async () => {
    const { primary } = pair();
    const rows = await primary.replica.relationships();
    expect(rows.map((r) => [r.vmName, r.mode, r.state, r.health, r.needsResync])).toEqual([
      ['SQL01', 'Primary', 'Replicating', 'Normal', false],
      ['WEB01', 'Primary', 'ResynchronizationRequired', 'Critical', true],
    ]);
  });

  it('resynchronizes a relationship whose log outgrew the disk', async () => {
    const { primary, primaryHost } = pair();
    await primary.replica.resync(WEB01);
    expect(primaryHost.replication.get(WEB01)!.state).toBe('Resynchronizing');
    await expect(primary.replica.resync(SQL01)).rejects.toThrow(/replication state is Replicating/);
  });

  it('runs a planned failover in order: stop and send the last changes, fail over, reverse, start', async () => {
    const { primary, replica, primaryHost, replicaHost } = pair();
    await plannedFailover(primary.replica, replica.replica, SQL01);
    const steps = [...primaryHost.calls, ...replicaHost.calls].filter((c) => c.name === 'hyperv.replica.action').map((c) => (c.input as { action: string }).action);
    expect(steps).toEqual(['prepare-failover', 'failover', 'reverse', 'start-vm']);
    expect(replicaHost.replication.get(SQL01)).toMatchObject({ state: 'Replicating', mode: 'Primary' });
  });

  it('refuses a planned failover that would lose data or run from the wrong side', async () => {
    const { primary, replica } = pair();
    await expect(plannedFailover(primary.replica, replica.replica, WEB01)).rejects.toThrow(/ResynchronizationRequired: a planned failover needs it replicating/);
    await expect(plannedFailover(replica.replica, primary.replica, SQL01)).rejects.toThrow(/is the Replica here/);
  });

  it('creates a relationship with the replica server and starts the initial copy over the network', async () => {
    const { primary, primaryHost } = pair();
    const LEGACY = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
    await primary.replica.enable(LEGACY, { replicaServer: 'hv02.corp.example' });
    expect(primaryHost.calls.at(-1)!.input).toEqual({ vmId: LEGACY, action: 'enable', replicaServer: 'hv02.corp.example', port: '80', authentication: 'Kerberos', frequencySec: '300' });
    expect((await primary.replica.relationships()).find((r) => r.vmId === LEGACY)!.state).toBe('ReadyForInitialReplication');
    await primary.replica.startInitial(LEGACY, { method: 'network' });
    expect(primaryHost.replication.get(LEGACY)!.state).toBe('Replicating');
    await expect(primary.replica.enable(LEGACY, { replicaServer: 'hv02', authentication: 'Certificate' })).rejects.toThrow(/thumbprint/);
  });
});
