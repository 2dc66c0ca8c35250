import { collectInventory, type Adapter, type Inventory } from '@drkit/core';
import type { AdapterContractOptions } from './contract-options.js';

/** Runs `fn` on a connected adapter and always closes it. */
export async function withAdapter<T>(options: AdapterContractOptions, fn: (adapter: Adapter) => Promise<T>): Promise<T> {
  const adapter = await options.adapter();
  try {
    await adapter.connect();
    return await fn(adapter);
  } finally {
    await adapter.close();
  }
}

export function discoverOnce(options: AdapterContractOptions): Promise<Inventory> {
  return withAdapter(options, (adapter) => collectInventory(adapter.site, adapter.discover()));
}
