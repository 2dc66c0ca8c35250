export { hypervAdapter } from './hyperv-definition.js';
export { HyperVAdapter, type HyperVAdapterOptions } from './hyperv-adapter.js';
export { createHyperVAdapter, type CreateHyperVAdapterOptions } from './create-hyperv-adapter.js';
export { HyperVReplica, plannedFailover, type InitialReplication, type ReplicaTarget } from '@drkit/hyperv-replica';
export { achievedConsistency } from './hyperv-consistency.js';
export { HYPERV_OPERATIONS } from './hyperv-scripts.js';
export { HYPERV_RECOVERY_OPERATIONS } from './hyperv-recovery-scripts.js';
export { HYPERV_REPLICA_OPERATIONS } from '@drkit/hyperv-replica';
export type * from './hyperv-types.js';
