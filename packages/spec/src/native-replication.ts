import type { NativeInventoryWatch } from './inventory-watch.js';
import type { OperationOptions } from './progress.js';

/**
 * A platform's own replication beside drkit's — an array's SnapMirror relationships or
 * pgroup targets — declared as one shape, so a host program drives any of them without
 * knowing the adapter (`drkit links`). Adapters that have none leave `Adapter.native` empty.
 */
export interface NativeReplication {
  /** Every link with its state, health and lag, as the platform reports them. */
  links(options?: OperationOptions): Promise<NativeLink[]>;
  /** Sends the newest data now; UnsupportedError('native.replication.update') where the platform keeps its own schedule. */
  update(linkId: string, options?: OperationOptions): Promise<void>;
  /** Makes the target writable (the platform's failover: ONTAP quiesce then break). */
  failover(linkId: string, options?: OperationOptions): Promise<void>;
  /** Re-establishes a link broken off by a failover. */
  resync(linkId: string, options?: OperationOptions): Promise<void>;
}

/**
 * drkit's word for a link's state, the same for every platform: `broken-off` is a target made
 * writable by a failover (resync re-establishes it); `needs-resync` a link the platform stopped
 * and wants resynchronized before it replicates again.
 */
export type NativeLinkState =
  | 'in-sync'
  | 'transferring'
  | 'idle'
  | 'uninitialized'
  | 'broken-off'
  | 'needs-resync'
  | 'paused'
  | 'unknown';

export interface NativeLink {
  id: string;
  groupId?: string;
  source: string;
  target: string;
  state: NativeLinkState;
  /** The platform's own word for it, kept verbatim. */
  rawState: string;
  healthy: boolean;
  /** Why unhealthy, in the platform's words. */
  reasons: string[];
  lagSeconds?: number;
  lastTransferAt?: string;
}

/**
 * Turning on the platform's changed-block tracking for a machine (vSphere CBT), so that later
 * replications read only what changed. Where tracking is always on (Hyper-V RCT) or absent,
 * adapters leave it out.
 */
export interface NativeChangeTracking {
  enable(machineId: string, options?: OperationOptions): Promise<void>;
}

/** What an adapter offers beyond the common interface, each in a typed shape. */
export interface NativeOps {
  replication?: NativeReplication;
  changeTracking?: NativeChangeTracking;
  inventoryWatch?: NativeInventoryWatch;
}
