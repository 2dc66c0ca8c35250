import {
  DrkitError,
  UnsupportedError,
  type NativeLink,
  type NativeLinkState,
  type NativeReplication,
  type OperationOptions,
} from '@drkit/core';
import type { HyperVReplica, ReplicationFacts } from './hyperv-replica.js';

// Get-VMReplication's VMReplicationState, in drkit's words for a link.
const STATES: Record<string, NativeLinkState> = {
  Replicating: 'in-sync',
  InitialReplicationInProgress: 'transferring',
  Resynchronizing: 'transferring',
  ReadyForInitialReplication: 'uninitialized',
  WaitingForInitialReplication: 'uninitialized',
  PreparedForFailover: 'broken-off',
  FailedOverWaitingCompletion: 'broken-off',
  FailedOver: 'broken-off',
  WaitingForStartResynchronize: 'needs-resync',
  ResynchronizationRequired: 'needs-resync',
  Suspended: 'paused',
  ResynchronizeSuspended: 'paused',
};

/**
 * Hyper-V Replica as the common link shape (`drkit links hyperv://…`): one link per
 * replicated VM, its id the VM id. Hyper-V sends changes on its own frequency, so there is no
 * "update now"; a failover is the replica side's (Start-VMFailover, then Start-VM), and a
 * resync either resynchronizes a stopped relationship or, after a failover, reverses it so
 * the failed-over VM replicates back.
 */
export function replicaLinks(replica: HyperVReplica, now: () => number = Date.now): NativeReplication {
  const find = async (vmId: string, options: OperationOptions): Promise<ReplicationFacts> => {
    const found = (await replica.relationships(options)).find((r) => r.vmId.toLowerCase() === vmId.toLowerCase());
    if (!found) throw new DrkitError('not-found', `VM ${vmId} takes part in no replication on this host`);
    return found;
  };
  return {
    async links(options = {}) {
      return (await replica.relationships(options)).map((r) => linkOf(r, now()));
    },
    async update() {
      throw new UnsupportedError(
        'native.replication.update',
        'Hyper-V Replica sends changes on its own frequency (30, 300 or 900 s); it has no send-now',
      );
    },
    async failover(vmId, options = {}) {
      const r = await find(vmId, options);
      if (r.mode !== 'Replica')
        throw new DrkitError(
          'invalid-state',
          `VM ${r.vmName} is the ${r.mode} here: fail over on its replica server ${r.replicaServer} (or run a planned failover with both hosts)`,
        );
      await replica.step(r.vmId, 'failover', options);
      await replica.step(r.vmId, 'start-vm', options);
    },
    async resync(vmId, options = {}) {
      const r = await find(vmId, options);
      const state = STATES[r.state] ?? 'unknown';
      if (state === 'needs-resync') return replica.resync(r.vmId, options);
      if (state === 'broken-off' && r.mode === 'Replica') return replica.step(r.vmId, 'reverse', options);
      throw new DrkitError('invalid-state', `replication of ${r.vmName} is ${r.state} (${r.mode}): nothing to resync`);
    },
  };
}

function linkOf(r: ReplicationFacts, now: number): NativeLink {
  const healthy = r.health === 'Normal';
  const last = r.lastReplication ? Date.parse(r.lastReplication) : Number.NaN;
  return {
    id: r.vmId,
    source: r.primaryServer,
    target: r.replicaServer,
    state: STATES[r.state] ?? 'unknown',
    rawState: r.state,
    healthy,
    reasons: healthy ? [] : [`replication health is ${r.health} (${r.vmName}, ${r.mode})`],
    ...(Number.isFinite(last) && {
      lagSeconds: Math.max(0, Math.round((now - last) / 1000)),
      lastTransferAt: new Date(last).toISOString(),
    }),
  };
}
