import { describe } from 'vitest';
import type { AdapterContractOptions } from './contract-options.js';
import { describeUndeclaredCapabilities } from './capability-contract.js';
import { describeDiscoveryContract } from './discovery-contract.js';
import { describeRecoveryContract } from './recovery-contract.js';
import { describeReplicationContract } from './replication-contract.js';
import { describeSnapshotContract } from './snapshot-contract.js';

/**
 * The shared suite every adapter's tests call with a factory:
 * `describeAdapterContract({ name, adapter: () => createXAdapter(...) })`.
 * Modules are gated on the capabilities the adapter probes from its endpoint.
 */
export function describeAdapterContract(options: AdapterContractOptions): void {
  describe(`adapter contract: ${options.name}`, () => {
    const runs = (m: NonNullable<AdapterContractOptions['modules']>[number]) =>
      !options.modules || options.modules.includes(m);
    if (runs('discovery')) describeDiscoveryContract(options);
    if (runs('snapshots')) describeSnapshotContract(options);
    if (runs('replication')) describeReplicationContract(options);
    if (runs('recovery')) describeRecoveryContract(options);
    if (runs('undeclared')) describeUndeclaredCapabilities(options);
  });
}
