import { DrkitError, throwIfAborted, type ChangeSet, type DiskSource, type Extent } from '@drkit/core';
import type { SshSession } from '@drkit/ssh';
import { BlockChannel } from './block-channel.js';
import { BLOCK_HELPER } from './block-helper-script.js';

export interface SshDiskOptions {
  diskId: string;
  /** The snapshot's data: a file (btrfs snapshot, reflink clone) or a snapshot block device. */
  path: string;
  sizeBytes: number;
  /** zlib level 1 on the wire, per request; worth it on slow links, not on fast ones. */
  compress?: boolean;
}

/**
 * A snapshot disk read over SSH through the block helper: reads are streamed on an exec
 * channel (never SFTP, which reports 0-byte device files as done), and a resync asks the
 * host for block hashes, so only hashes — and then the differing blocks — cross the wire.
 * There is no block change tracking on a plain Linux host without a kernel module, so every
 * run after the first is a resync by these remote checksums.
 */
export async function openSshDisk(session: SshSession, options: SshDiskOptions): Promise<DiskSource> {
  // Two helpers: hashing and reading run on two host cores, and a read never waits in line
  // behind the hashes of chunks asked for ahead.
  const start = async () => {
    const proc = await session.open({ argv: ['python3', '-c', BLOCK_HELPER, options.path, options.compress ? '1' : '0'] });
    return { proc, channel: new BlockChannel(proc, `${session.where} ${options.path}`) };
  };
  const reader = await start();
  let hasher: Promise<Awaited<ReturnType<typeof start>>> | undefined;
  const { sizeBytes } = options;
  const inRange = (e: Extent) => {
    if (e.offset < 0 || e.length < 0 || e.offset + e.length > sizeBytes) throw new DrkitError('bad-input', `extent ${e.offset}+${e.length} is outside ${options.diskId} (${sizeBytes} bytes)`);
  };
  return {
    diskId: options.diskId,
    sizeBytes,
    async *allocated() {
      // Holes cost a read but no write: the engine skips zero blocks.
      yield { offset: 0, length: sizeBytes };
    },
    async changedSince(): Promise<ChangeSet> {
      return { kind: 'unknown', reason: 'a Linux host keeps no block change log: resync by remote checksums' };
    },
    async read(extent, opts = {}) {
      throwIfAborted(opts.signal);
      inRange(extent);
      return reader.channel.read(extent.offset, extent.length);
    },
    async *hashBlocks(extent, blockSize, opts = {}) {
      throwIfAborted(opts.signal);
      inRange(extent);
      hasher ??= start();
      yield await (await hasher).channel.hash(extent.offset, extent.length, blockSize);
    },
    async close() {
      const helpers = [reader, ...(hasher ? [await hasher.catch(() => undefined)] : [])];
      for (const h of helpers) h?.channel.close();
      await Promise.all(helpers.map((h) => h?.proc.done.catch(() => {})));
    },
  };
}
