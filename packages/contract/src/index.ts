export { describeAdapterContract } from './describe-adapter-contract.js';
export { describeDiscoveryContract } from './discovery-contract.js';
export { describeUndeclaredCapabilities } from './capability-contract.js';
export type { AdapterContractOptions } from './contract-options.js';
export { withAdapter, discoverOnce } from './adapter-session.js';
export { describeSnapshotContract } from './snapshot-contract.js';
export { describeReplicationContract } from './replication-contract.js';
export {
  describeRecordedContract,
  type LiveCounterpart,
  type LiveSession,
  type RecordSpec,
  type RecordedContractOptions,
} from './recorded-contract.js';
