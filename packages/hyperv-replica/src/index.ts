export {
  HyperVReplica,
  plannedFailover,
  type InitialReplication,
  type RemoteHost,
  type ReplicaTarget,
  type ReplicationFacts,
} from './hyperv-replica.js';
export { HYPERV_REPLICA_ACTION, HYPERV_REPLICA_OPERATIONS, HYPERV_REPLICA_STATE } from './hyperv-replica-scripts.js';
export { replicaLinks } from './replica-links.js';
