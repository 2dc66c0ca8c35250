import { DrkitError, type OperationOptions } from '@drkit/core';
import { VMM_REPLICATION_OPERATE } from './vmm-scripts.js';
import type { ReplicationGroupFacts } from './vmm-types.js';

export type ReplicationGroupOperation =
  | 'EnableProtection'
  | 'PrepareForFailover'
  | 'Failover'
  | 'ReverseRoles'
  | 'TearDown';
const OPERATIONS: ReadonlySet<string> = new Set([
  'EnableProtection',
  'PrepareForFailover',
  'Failover',
  'ReverseRoles',
  'TearDown',
]);

/**
 * SAN replication through VMM's replication groups: the group is the unit of consistency on
 * SAN storage, and these are the operations VMM drives on it (Set-SCReplicationGroup), each
 * followed as a VMM job; the group's state afterwards is returned.
 */
export class VmmReplicationGroups {
  constructor(
    private readonly invoke: <T>(
      op: typeof VMM_REPLICATION_OPERATE,
      input: Record<string, unknown>,
      signal?: AbortSignal,
    ) => Promise<T[]>,
    private readonly list: (signal?: AbortSignal) => Promise<ReplicationGroupFacts[]>,
  ) {}

  groups(options: OperationOptions = {}): Promise<ReplicationGroupFacts[]> {
    return this.list(options.signal);
  }

  async operate(
    groupId: string,
    operation: ReplicationGroupOperation,
    options: OperationOptions = {},
  ): Promise<ReplicationGroupFacts> {
    if (!OPERATIONS.has(operation))
      throw new DrkitError('bad-input', `unknown replication group operation ${operation}`);
    const [after] = await this.invoke<ReplicationGroupFacts>(
      VMM_REPLICATION_OPERATE,
      { groupId, operation },
      options.signal,
    );
    if (!after) throw new DrkitError('protocol', `Set-SCReplicationGroup -Operation ${operation} returned no group`);
    return after;
  }

  /** A planned failover of a replication group: prepare (last sync), fail over, reverse roles. */
  async plannedFailover(groupId: string, options: OperationOptions = {}): Promise<ReplicationGroupFacts> {
    const [group] = (await this.groups(options)).filter((g) => g.id === groupId);
    if (!group) throw new DrkitError('not-found', `no replication group ${groupId}`);
    if (!group.isPrimary)
      throw new DrkitError(
        'invalid-state',
        `replication group ${group.name} is the recovery side here; fail over from its primary`,
      );
    await this.operate(groupId, 'PrepareForFailover', options);
    await this.operate(groupId, 'Failover', options);
    return this.operate(groupId, 'ReverseRoles', options);
  }
}
