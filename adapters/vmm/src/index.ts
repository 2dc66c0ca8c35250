export { vmmAdapter } from './vmm-definition.js';
export { VmmAdapter, type VmmAdapterOptions, type VmmCredential } from './vmm-adapter.js';
export { createVmmAdapter, type CreateVmmAdapterOptions } from './create-vmm-adapter.js';
export { VmmReplicationGroups, type ReplicationGroupOperation } from './vmm-replication-groups.js';
export { VMM_OPERATIONS } from './vmm-scripts.js';
export type * from './vmm-types.js';
