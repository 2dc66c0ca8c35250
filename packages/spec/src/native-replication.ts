import type { OperationOptions } from './progress.js';

/**
 * A platform's own replication beside drkit's — an array's SnapMirror relationships or
 * pgroup targets — declared as one shape, so a host program drives any of them without
 * knowing the adapter (`drkit links`). Adapters that have none leave `Adapter.native` empty.
 */
export interface NativeReplication {
  /** Every link with its state, health and lag, as the platform reports them. */
  links(options?: OperationOptions): Promise<NativeLink[]>;
  /** Sends the newest data now. */
  update(linkId: string, options?: OperationOptions): Promise<void>;
  /** Makes the target writable (the platform's failover: ONTAP quiesce then break). */
  failover(linkId: string, options?: OperationOptions): Promise<void>;
  /** Re-establishes a link broken off by a failover. */
  resync(linkId: string, options?: OperationOptions): Promise<void>;
}

export interface NativeLink {
  id: string;
  groupId?: string;
  source: string;
  target: string;
  /** drkit's word for the state (e.g. `in-sync`, `broken-off`). */
  state: string;
  /** The platform's own word for it, kept verbatim. */
  rawState: string;
  healthy: boolean;
  /** Why unhealthy, in the platform's words. */
  reasons: string[];
  lagSeconds?: number;
  lastTransferAt?: string;
}

/** What an adapter offers beyond the common interface, each in a typed shape. */
export interface NativeOps {
  replication?: NativeReplication;
}
