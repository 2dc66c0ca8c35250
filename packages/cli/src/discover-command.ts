import { collectInventory, throwIfAborted, type Inventory } from '@drkit/core';
import { formatInventory } from './inventory-table.js';
import { openAdapter, type ConnectionFlags } from './open-adapter.js';

export interface DiscoverFlags extends ConnectionFlags {
  json?: boolean;
}

export interface CommandIo {
  out: (text: string) => void;
  err: (line: string) => void;
  signal: AbortSignal;
}

/** `drkit discover`: connect, stream the inventory, print it; always log out. */
export async function runDiscover(endpoint: string | undefined, flags: DiscoverFlags, io: CommandIo): Promise<Inventory> {
  const { adapter, finish } = await openAdapter(endpoint, flags, io.err);
  let lastProgress = 0;
  try {
    await adapter.connect({ signal: io.signal });
    const inventory = await collectInventory(
      adapter.site,
      adapter.discover({
        signal: io.signal,
        onProgress: (e) => {
          if (e.kind === 'count' && Date.now() - lastProgress > 1000) {
            lastProgress = Date.now();
            io.err(`drkit: ${e.done} ${e.what} so far…`);
          } else if (e.kind === 'retry') io.err(`drkit: ${e.reason}`);
        },
      }),
    );
    throwIfAborted(io.signal);
    io.out(flags.json ? JSON.stringify(inventory, null, 2) + '\n' : formatInventory(inventory));
    return inventory;
  } finally {
    await adapter.close();
    await finish();
  }
}
