export { HyperVAdapter, type HyperVAdapterOptions } from './hyperv-adapter.js';
export { createHyperVAdapter, type CreateHyperVAdapterOptions } from './create-hyperv-adapter.js';
export { HyperVReplica, plannedFailover, type InitialReplication, type ReplicaTarget } from './hyperv-replica.js';
export { achievedConsistency } from './hyperv-consistency.js';
export { HYPERV_OPERATIONS } from './hyperv-scripts.js';
export type * from './hyperv-types.js';
