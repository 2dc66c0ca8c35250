import type { Adapter } from '@drkit/core';

export interface AdapterContractOptions {
  /** Shown in test names, e.g. `vsphere (live simulator)`. */
  name: string;
  /** A fresh, unconnected adapter per call: every test gets its own. */
  adapter: () => Promise<Adapter> | Adapter;
  /** What the site is known to hold, where the test knows it (a simulator's topology). */
  expect?: {
    machines?: number;
    hosts?: number;
  };
  /** The machine the snapshot and replication modules use; the first discovered when absent. */
  machineId?: string;
  /**
   * The modules to run; all when absent. A fixture recorded for one purpose (a discovery)
   * can only answer that module's requests.
   */
  modules?: ReadonlyArray<'discovery' | 'snapshots' | 'replication' | 'recovery' | 'undeclared'>;
  /** Per-test timeout in ms. Default 60 s. */
  timeoutMs?: number;
}
