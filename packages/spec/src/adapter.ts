import type { Capabilities } from './capabilities.js';
import type { InventoryEntryKind, InventoryItem, SiteInfo } from './inventory.js';
import type { OperationOptions } from './progress.js';
import type { SnapshotOps } from './snapshot.js';
import type { ReplicationOps } from './disk-source.js';
import type { NativeOps } from './native-replication.js';
import type { RecoveryOps } from './recovery.js';

/**
 * The one interface every adapter implements. Created by a factory with an injected
 * transport; after `connect` it reports capabilities probed from the endpoint.
 * `specificationVersion` lets a v2 interface live beside v1.
 */
export interface Adapter {
  readonly specificationVersion: 'v1';
  /** The adapter's kind, e.g. `vsphere`. */
  readonly kind: string;
  connect(options?: OperationOptions): Promise<Capabilities>;
  /** Probed at connect; calling before connect throws. */
  readonly capabilities: Capabilities;
  readonly site: SiteInfo;
  /**
   * Streams the inventory, one item at a time, each id once, so a 10,000-machine site
   * never sits in memory twice. Throws rather than yield a partial pass as complete.
   */
  discover(options?: DiscoverOptions): AsyncIterable<InventoryItem>;
  readonly snapshots: SnapshotOps;
  readonly replication: ReplicationOps;
  /** Machines brought up from drkit's recovery points, where the adapter can; absent where not. */
  readonly recovery?: RecoveryOps;
  /** The platform's own abilities beyond the common interface, typed (see NativeOps); absent when none. */
  readonly native?: NativeOps;
  /** Ends the session (logout) and frees transports. Safe to call twice. */
  close(): Promise<void>;
}

export interface DiscoverOptions extends OperationOptions {
  /** Restrict to these item kinds; all when absent. */
  kinds?: ReadonlyArray<InventoryEntryKind>;
}
