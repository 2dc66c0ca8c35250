import type { Adapter, MachineDescription } from '@drkit/spec';
import type { Consistency } from '@drkit/spec';
import type { TakenSnapshot } from '@drkit/spec';

/** What to do when app consistency cannot be had for a member. */
export type AppFailurePolicy = 'require' | 'fallback-to-crash';

export interface GroupMember {
  adapter: Adapter;
  machineId: string;
  /** For people: the machine's name. */
  name?: string;
  /** The machine as discovery saw it before the run: kept on the point for recovery. */
  description?: MachineDescription;
  /** Only freeze this machine: its data is snapshotted by the members that name it in `under`. */
  freezeOnly?: boolean;
  /**
   * Machine ids of members whose freeze covers all of this member's data (an array group
   * under a server's filesystems). This member is prepared after they are frozen — an
   * array's write fence must not catch a server's flush — and released before they thaw;
   * its snapshot then holds what their freeze made consistent.
   */
  under?: string[];
  /**
   * Machine ids of members that must hold their freeze (or, fused, have taken their
   * snapshot) before this member is prepared — an array group holding a VM's datastore,
   * which other VMs share. Ordered like `under`, but nothing is lifted: this member's
   * snapshot keeps its own consistency.
   */
  after?: string[];
}

/**
 * What holds across the members of a group point — never more than was achieved.
 * - `shared-freeze`: every member was frozen before the first snapshot and thawed after
 *   the last, so the point is one instant for all of them (app-consistent when `achieved`
 *   says so).
 * - `independent`: each member is consistent on its own (fused platforms, or no freeze);
 *   across members the point is crash-consistent within `skewMs`, the window in which all
 *   snapshots were taken.
 */
export interface GroupStatement {
  requested: Consistency;
  achieved: Consistency;
  basis: 'shared-freeze' | 'independent';
  skewMs: number;
  /** The longest any member was held frozen, ms. */
  frozenMs: number;
  /** Why achieved < requested, when it is. */
  reason?: string;
}

export interface MemberPoint {
  member: GroupMember;
  snapshot: TakenSnapshot;
  /** For members `under` others: whose freeze gave this snapshot its consistency. */
  consistencyFrom?: string[];
}

export interface GroupPoint {
  tag: string;
  members: MemberPoint[];
  statement: GroupStatement;
  warnings: string[];
}
