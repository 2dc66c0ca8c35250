import { collectInventory, type Adapter, type Inventory } from '@drkit/core';
import type { AdapterContractOptions } from './contract-options.js';

/** Runs `fn` on a connected adapter and always closes it. */
export async function withAdapter<T>(
  options: AdapterContractOptions,
  fn: (adapter: Adapter) => Promise<T>,
): Promise<T> {
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

/** The machine the contract works on: the one named in the options, else the first discovered. */
export async function contractMachine(adapter: Adapter, options: AdapterContractOptions): Promise<string> {
  if (options.machineId) return options.machineId;
  for await (const item of adapter.discover({ kinds: ['machine'] }))
    if (item.kind === 'machine' && item.machine.disks.length > 0) return item.machine.id;
  throw new Error('the contract needs a machine with disks at the endpoint');
}
