import type { NativeLinkState } from '@drkit/core';

/**
 * What the SAN adapter needs from one array family. A driver speaks its vendor's REST API
 * and answers in these shapes; the adapter maps them onto drkit's inventory and phases.
 */
export interface ArrayFacts {
  vendor: 'netapp' | 'pure';
  product: string;
  version: string;
  apiVersion: string;
  /** The array's own identity (cluster UUID, array id): part of every stable id. */
  instanceId: string;
  name: string;
  features: {
    /** Group snapshots in two phases (write fence, then commit): ONTAP 9.11+. */
    twoPhaseGroupSnapshot: boolean;
    /** Array replication licensed and usable (SnapMirror, Pure async replication). */
    replication: boolean;
  };
}

/** A block volume a host can see (an ONTAP LUN, a Pure volume). */
export interface ArrayVolume {
  id: string;
  name: string;
  sizeBytes: number;
  /** NAA id as the hosts see it, normalized. */
  wwn?: string;
  /** What holds it (an ONTAP FlexVol); absent where the array is one pool. */
  containerId?: string;
  /** Where an administrator finds it, e.g. `/vol/db_data/lun0`. */
  path?: string;
}

/** A space that holds volumes: an ONTAP FlexVol, the Pure array's pool. */
export interface ArrayContainer {
  id: string;
  name: string;
  type: string;
  capacityBytes?: number;
  freeBytes?: number;
}

/** An initiator group / Pure host: a server that sees volumes. */
export interface ArrayHost {
  id: string;
  name: string;
  protocol?: string;
  initiators: string[];
  volumeIds: string[];
}

/** The array's unit of write-order consistency: an ONTAP consistency group, a Pure protection group. */
export interface ArrayGroup {
  id: string;
  name: string;
  /** Members named one by one. */
  volumeIds: string[];
  /** Containers in the group: every volume they hold is a member (ONTAP CGs are made of FlexVols). */
  containerIds: string[];
  /** Hosts in the group: every volume connected to them is a member (Pure pgroups may hold hosts). */
  hostIds: string[];
  /** Where the group lives on the array, when it has such a scope (the ONTAP SVM). */
  namespace?: string;
}

/** Where a new replication goes: an ONTAP destination SVM (peered), a connected Pure array. */
export interface ReplicationTarget {
  name: string;
}

export interface ArraySnapshot {
  /** Unique on the array; the adapter's snapshot id. */
  id: string;
  groupId: string;
  name: string;
  createdAt: string;
}

/** A group snapshot started under a write fence and not yet committed. */
export interface StartedSnapshot {
  id: string;
  groupId: string;
  name: string;
  /** When the fence took hold (epoch ms). */
  fencedAt: number;
}

export type ReplicationState = NativeLinkState;

/** One array-to-array replication of a group (a SnapMirror relationship, a pgroup target). */
export interface ReplicationLink {
  id: string;
  groupId?: string;
  source: string;
  target: string;
  state: ReplicationState;
  /** The array's own word for the state, kept verbatim. */
  rawState: string;
  healthy: boolean;
  /** Why unhealthy, in the array's words. */
  reasons: string[];
  lagSeconds?: number;
  lastTransferAt?: string;
}

export interface DriverCallOptions {
  signal?: AbortSignal;
}

export interface ArrayDriver {
  readonly family: 'ontap' | 'pure';
  connect(options?: DriverCallOptions): Promise<ArrayFacts>;
  volumes(options?: DriverCallOptions): AsyncIterable<ArrayVolume>;
  containers(options?: DriverCallOptions): AsyncIterable<ArrayContainer>;
  hosts(options?: DriverCallOptions): AsyncIterable<ArrayHost>;
  groups(options?: DriverCallOptions): AsyncIterable<ArrayGroup>;
  /** Two-phase drivers only: fence the group's volumes and start a snapshot named `name`. */
  startGroupSnapshot?(
    group: ArrayGroup,
    name: string,
    fenceSeconds: number,
    options?: DriverCallOptions,
  ): Promise<StartedSnapshot>;
  commitGroupSnapshot?(started: StartedSnapshot, options?: DriverCallOptions): Promise<ArraySnapshot>;
  /** One call: the array snapshots every volume of the group at one instant. */
  createGroupSnapshot(group: ArrayGroup, name: string, options?: DriverCallOptions): Promise<ArraySnapshot>;
  /** Removes a snapshot (committed or only started); a missing one is not an error. */
  deleteGroupSnapshot(snapshot: Pick<ArraySnapshot, 'id' | 'groupId'>, options?: DriverCallOptions): Promise<void>;
  /** Snapshots named `name`, in every group. */
  findGroupSnapshots(name: string, options?: DriverCallOptions): Promise<ArraySnapshot[]>;
  replicationLinks(options?: DriverCallOptions): Promise<ReplicationLink[]>;
  /**
   * Starts replicating a group to a target (SnapMirror for a CG, destination provisioned and
   * initialized; a Pure pgroup target, which the target array must then allow).
   */
  createReplication(
    group: ArrayGroup,
    containers: ArrayContainer[],
    target: ReplicationTarget,
    options?: DriverCallOptions,
  ): Promise<void>;
  /** Sends the newest data now (SnapMirror update; Pure snapshot with replicate_now). */
  updateReplication(link: ReplicationLink, options?: DriverCallOptions): Promise<void>;
  /** Makes the target writable (SnapMirror break); drivers that cannot throw UnsupportedError. */
  failover(link: ReplicationLink, options?: DriverCallOptions): Promise<void>;
  /** Re-establishes a broken-off link, source to target, keeping the common snapshot. */
  resync(link: ReplicationLink, options?: DriverCallOptions): Promise<void>;
  close(): Promise<void>;
}
