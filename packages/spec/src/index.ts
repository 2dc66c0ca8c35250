/**
 * @drkit/spec: what an adapter implements and a host program relies on — the Adapter
 * interface, capabilities, snapshot and disk-source shapes, the inventory model and its JSON
 * Schema, the one error class, and defineAdapter. No runtime dependencies (Node built-ins
 * only): an adapter author depends on this, and on @drkit/core only for what it really uses.
 */
export * from './errors.js';
export * from './inventory.js';
export * from './inventory-schema.js';
export * from './progress.js';
export * from './capabilities.js';
export * from './snapshot.js';
export * from './disk-source.js';
export * from './adapter.js';
export * from './unsupported.js';
export * from './adapter-definition.js';
export { endpointPort } from './endpoint-port.js';
export { checkSnapshotTag, type TagRules } from './snapshot-tag.js';
export type {
  NativeChangeTracking,
  NativeLink,
  NativeLinkState,
  NativeOps,
  NativeReplication,
} from './native-replication.js';
export * from './inventory-watch.js';
export * from './machine-description.js';
export * from './recovery.js';
