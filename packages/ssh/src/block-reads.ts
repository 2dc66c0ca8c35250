import { DrkitError, throwIfAborted, type DiskSource, type Extent } from '@drkit/core';
import type { BlockChannel } from './block-channel.js';
import type { RemoteProcess } from './ssh-session.js';

export interface BlockHelper {
  proc: RemoteProcess;
  channel: BlockChannel;
}

export interface BlockReads {
  read: DiskSource['read'];
  hashBlocks: NonNullable<DiskSource['hashBlocks']>;
  close: () => Promise<void>;
  /** The reading helper, for requests beyond reads and hashes (extent diffs). */
  reader: BlockHelper;
}

/**
 * The data side of a DiskSource served by block helpers, whatever starts them (Python on
 * Linux, PowerShell on Windows): reads on one helper; hashes on `hashers` more, taking
 * alternate chunks, so a read never waits behind the hashes of chunks asked for ahead and
 * several host cores hash; close ends every helper and waits for it.
 */
export async function blockReads(options: {
  diskId: string;
  sizeBytes: number;
  start: () => Promise<BlockHelper>;
  hashers: number;
}): Promise<BlockReads> {
  const { diskId, sizeBytes, start } = options;
  const reader = await start();
  const hashers: Array<Promise<BlockHelper>> = [];
  let nextHasher = 0;
  const inRange = (e: Extent) => {
    if (e.offset < 0 || e.length < 0 || e.offset + e.length > sizeBytes)
      throw new DrkitError('bad-input', `extent ${e.offset}+${e.length} is outside ${diskId} (${sizeBytes} bytes)`);
  };
  return {
    reader,
    async read(extent, opts = {}) {
      throwIfAborted(opts.signal);
      inRange(extent);
      return reader.channel.read(extent.offset, extent.length);
    },
    async *hashBlocks(extent, blockSize, opts = {}) {
      throwIfAborted(opts.signal);
      inRange(extent);
      const i = nextHasher++ % options.hashers;
      hashers[i] ??= start();
      yield await (await hashers[i]!).channel.hash(extent.offset, extent.length, blockSize);
    },
    async close() {
      const helpers = [reader, ...(await Promise.all(hashers.map((h) => h.catch(() => undefined))))];
      for (const h of helpers) h?.channel.close();
      await Promise.all(helpers.map((h) => h?.proc.done.catch(() => {})));
    },
  };
}
