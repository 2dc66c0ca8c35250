import { describe } from 'vitest';
import type { AdapterContractOptions } from './contract-options.js';
import { describeUndeclaredCapabilities } from './capability-contract.js';
import { describeDiscoveryContract } from './discovery-contract.js';
import { describeReplicationContract } from './replication-contract.js';
import { describeSnapshotContract } from './snapshot-contract.js';

/**
 * The shared suite every adapter's tests call with a factory:
 * `describeAdapterContract({ name, adapter: () => createXAdapter(...) })`.
 * Modules are gated on the capabilities the adapter probes from its endpoint.
 */
export function describeAdapterContract(options: AdapterContractOptions): void {
  describe(`adapter contract: ${options.name}`, () => {
    describeDiscoveryContract(options);
    describeSnapshotContract(options);
    describeReplicationContract(options);
    describeUndeclaredCapabilities(options);
  });
}
