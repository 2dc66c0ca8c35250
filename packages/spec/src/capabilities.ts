/**
 * What an endpoint can do, probed after connect and declared once. The contract kit checks
 * that each declared ability works and each undeclared one fails with UnsupportedError.
 */
export type Consistency = 'crash' | 'app';

/**
 * The abilities an `UnsupportedError` can name: one word each for what capabilities declare
 * (or, for `platform.version`, the endpoint's platform or version that rules an adapter out).
 */
export type CapabilityName =
  | 'discovery'
  | 'snapshot'
  | 'snapshot.crash'
  | 'snapshot.app'
  | 'snapshot.freezeOnly'
  | 'snapshot.twoPhase'
  | 'replication'
  | 'replication.diskRead'
  | 'replication.changeTracking'
  | 'native.replication'
  | 'native.replication.update'
  | 'native.replication.failover'
  | 'native.replication.resync'
  | 'native.changeTracking'
  | 'native.inventoryWatch'
  | 'recovery'
  | 'platform.version';

export interface Capabilities {
  /** The platform's API version as the endpoint reports it. */
  apiVersion?: string;
  discovery: boolean;
  snapshot: {
    /** Consistency levels the endpoint can take, strongest last. Empty: no snapshots. */
    consistency: Consistency[];
    /**
     * True where the platform fuses freeze, snapshot and thaw in one call (vSphere quiesce,
     * Hyper-V production checkpoints): the coordinator cannot hold a shared freeze barrier
     * across such members and reports the group consistency it really got.
     */
    fusedPhases: boolean;
    /** Snapshot mechanisms on offer, in the platform's words (e.g. `vmware-snapshot`, `btrfs`, `vss`). */
    mechanisms: string[];
    /** Can hold an app-consistent freeze without snapshotting (SnapshotRequest.freezeOnly). */
    freezeOnly?: boolean;
  };
  replication: {
    /** A DiskSource is available. */
    diskRead: boolean;
    /** Changed extents since a token are available (CBT, RCT, …). */
    changeTracking: boolean;
    /** Block hashes can be computed next to the data. */
    remoteHashing: boolean;
  };
}

export const NO_CAPABILITIES: Capabilities = {
  discovery: false,
  snapshot: { consistency: [], fusedPhases: false, mechanisms: [] },
  replication: { diskRead: false, changeTracking: false, remoteHashing: false },
};
