import { collectInventory, throwIfAborted, type Inventory } from '@drkit/core';
import { formatInventory } from './inventory-table.js';
import { openAdapter, type ConnectionFlags } from './open-adapter.js';
import { progressReporter } from './progress-reporter.js';
import type { AdapterRegistry } from './adapter-registry.js';

export interface DiscoverFlags extends ConnectionFlags {
  json?: boolean;
}

export interface CommandIo {
  out: (text: string) => void;
  err: (line: string) => void;
  signal: AbortSignal;
  /** The adapters this run knows (built in, and any given with --adapter). */
  registry: AdapterRegistry;
}

/** `drkit discover`: connect, stream the inventory, print it; always log out. */
export async function runDiscover(
  endpoint: string | undefined,
  flags: DiscoverFlags,
  io: CommandIo,
): Promise<Inventory> {
  const { adapter, finish } = await openAdapter(endpoint, flags, io.err, io.registry);
  try {
    await adapter.connect({ signal: io.signal });
    const inventory = await collectInventory(
      adapter.site,
      adapter.discover({ signal: io.signal, onProgress: progressReporter(io.err) }),
    );
    throwIfAborted(io.signal);
    io.out(flags.json ? `${JSON.stringify(inventory, null, 2)}\n` : formatInventory(inventory));
    return inventory;
  } finally {
    await adapter.close();
    await finish();
  }
}
