import {
  DrkitError,
  UnsupportedError,
  type NativeLink,
  type NativeLinkState,
  type NativeReplication,
  type OperationOptions,
} from '@drkit/core';
import type { VmmReplicationGroups } from './vmm-replication-groups.js';
import type { ReplicationGroupFacts } from './vmm-types.js';

// VMM's ReplicationState, in drkit's words for a link.
const STATES: Record<string, NativeLinkState> = {
  Replicating: 'in-sync',
  PreparedForFailover: 'broken-off',
  FailedOver: 'broken-off',
  Disabled: 'uninitialized',
};

/**
 * VMM replication groups as the common link shape (`drkit links vmm://…`): one link per
 * group, its id the group's. The array replicates on its own schedule (no send-now); a
 * failover from the primary is the planned one (PrepareForFailover, then Failover), from the
 * recovery side Failover alone; a resync reverses the roles of a failed-over group, or
 * enables protection of a disabled one.
 */
export function replicationGroupLinks(groups: VmmReplicationGroups, server: () => string): NativeReplication {
  const find = async (id: string, options: OperationOptions): Promise<ReplicationGroupFacts> => {
    const found = (await groups.groups(options)).find((g) => g.id === id);
    if (!found) throw new DrkitError('not-found', `no replication group ${id} on ${server()}`);
    return found;
  };
  return {
    async links(options = {}) {
      return (await groups.groups(options)).map((g) => linkOf(g, server()));
    },
    async update() {
      throw new UnsupportedError(
        'native.replication.update',
        'VMM replication groups replicate on the array’s schedule; VMM has no send-now',
      );
    },
    async failover(id, options = {}) {
      const g = await find(id, options);
      if (g.isPrimary) await groups.operate(g.id, 'PrepareForFailover', options);
      await groups.operate(g.id, 'Failover', options);
    },
    async resync(id, options = {}) {
      const g = await find(id, options);
      if (g.state === 'FailedOver') return void (await groups.operate(g.id, 'ReverseRoles', options));
      if (g.state === 'Disabled') return void (await groups.operate(g.id, 'EnableProtection', options));
      throw new DrkitError('invalid-state', `replication group ${g.name} is ${g.state}: nothing to resync`);
    },
  };
}

function linkOf(g: ReplicationGroupFacts, server: string): NativeLink {
  const healthy = g.health === 'Normal' || g.health === 'OK';
  // VMM names only its own side; the partner is the other VMM's group of the same name.
  const partner = `partner of ${g.name}`;
  return {
    id: g.id,
    groupId: g.id,
    source: g.isPrimary ? server : partner,
    target: g.isPrimary ? partner : server,
    state: STATES[g.state] ?? 'unknown',
    rawState: g.state,
    healthy,
    reasons: healthy ? [] : [`replication health is ${g.health}`],
  };
}
