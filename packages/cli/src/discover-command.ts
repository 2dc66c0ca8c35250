import {
  collectInventory,
  DrkitError,
  throwIfAborted,
  UnsupportedError,
  type Adapter,
  type Inventory,
  type ProgressEvent,
} from '@drkit/core';
import { formatInventory } from './inventory-table.js';
import { openAdapter, type ConnectionFlags } from './open-adapter.js';
import { progressReporter } from './progress-reporter.js';
import type { AdapterRegistry } from './adapter-registry.js';

export interface DiscoverFlags extends ConnectionFlags {
  json?: boolean;
  watch?: boolean;
}

export interface CommandIo {
  out: (text: string) => void;
  err: (line: string) => void;
  signal: AbortSignal;
  /** The adapters this run knows (built in, and any given with --adapter). */
  registry: AdapterRegistry;
}

/** `drkit discover`: connect, stream the inventory, print it; always log out. With `--watch`, no inventory: the changes. */
export async function runDiscover(
  endpoint: string | undefined,
  flags: DiscoverFlags,
  io: CommandIo,
): Promise<Inventory | undefined> {
  const { adapter, finish } = await openAdapter(endpoint, flags, io.err, io.registry);
  try {
    await adapter.connect({ signal: io.signal });
    if (flags.watch) return await watch(adapter, io);
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

/** `discover --watch`: the platform's change feed, one JSON line per change, until Ctrl-C or SIGTERM. */
async function watch(adapter: Adapter, io: CommandIo): Promise<undefined> {
  const feed = adapter.native?.inventoryWatch;
  if (!feed)
    throw new UnsupportedError(
      'native.inventoryWatch',
      `${adapter.kind}: no change feed to watch; run discover again instead`,
    );
  const stop = new AbortController();
  const onTerm = () => stop.abort(new DrkitError('aborted', 'stopped by SIGTERM'));
  process.once('SIGTERM', onTerm);
  const signal = AbortSignal.any([io.signal, stop.signal]);
  // Said once the feed has the inventory as it stands: what changes from then on is printed.
  const onProgress = (e: ProgressEvent) => {
    if (e.kind === 'phase' && e.phase === 'watching')
      io.err(`drkit: watching ${adapter.site.endpoint} for changes (one JSON line each; Ctrl-C to stop)`);
  };
  try {
    for await (const change of feed.watch({ signal, onProgress })) io.out(`${JSON.stringify(change)}\n`);
  } catch (error) {
    if (!stop.signal.aborted) throw error;
  } finally {
    process.off('SIGTERM', onTerm);
  }
}
