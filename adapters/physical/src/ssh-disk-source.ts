import { DrkitError, throwIfAborted, type ChangeSet, type DiskSource, type Extent } from '@drkit/core';
import { BASE_GONE, BlockChannel, blockReads, type SshRunner } from '@drkit/ssh';
import { BLOCK_HELPER } from './block-helper-script.js';

export interface SshDiskOptions {
  diskId: string;
  /** The snapshot's data: a file (btrfs snapshot, reflink clone) or a snapshot block device. */
  path: string;
  sizeBytes: number;
  /** zlib level 1 on the wire, per request; worth it on slow links, not on fast ones. */
  compress?: boolean;
  /** The host's python3, by absolute path (see linux-facts.ts). */
  python: string;
  /** This snapshot's change token (its name). */
  token: string;
  /** Where the snapshot named by an earlier token may still be, to diff extent maps against; absent for mechanisms without extent maps (LVM, ZFS). */
  baseFiles?(token: string): string[];
}

/**
 * A snapshot disk read over SSH through the block helper: reads are streamed on an exec
 * channel (never SFTP, which reports 0-byte device files as done), and a resync asks the
 * host for block hashes, so only hashes — and then the differing blocks — cross the wire.
 * Changes come from the copy-on-write clones themselves: the extent maps of this snapshot
 * and the previous run's (kept as a base) are compared on the host, no data read. Without
 * a base, a run is a resync by remote checksums.
 */
export async function openSshDisk(session: SshRunner, options: SshDiskOptions): Promise<DiskSource> {
  const { sizeBytes } = options;
  // Hashing a whole disk is bound by the host's reads and one core per helper: two hashers
  // take alternate chunks, so two reads are in flight and two cores hash.
  const reads = await blockReads({
    diskId: options.diskId,
    sizeBytes,
    hashers: 2,
    start: async () => {
      const proc = await session.open({
        argv: [options.python, '-c', BLOCK_HELPER, options.path, options.compress ? '1' : '0'],
      });
      return { proc, channel: new BlockChannel(proc, `${session.where} ${options.path}`) };
    },
  });
  return {
    diskId: options.diskId,
    sizeBytes,
    async *allocated() {
      // Holes cost a read but no write: the engine skips zero blocks.
      yield { offset: 0, length: sizeBytes };
    },
    async changedSince(token, opts = {}): Promise<ChangeSet> {
      const nextToken = options.token;
      if (!options.baseFiles)
        return {
          kind: 'unknown',
          reason: 'this snapshot mechanism keeps no extent map to diff: resync by remote checksums',
          nextToken,
        };
      const bases = token ? options.baseFiles(token) : [];
      if (!token || bases.length === 0)
        return {
          kind: 'unknown',
          reason: token ? `no snapshot ${token} to compare with` : 'no previous snapshot',
          nextToken,
        };
      throwIfAborted(opts.signal);
      let lines: string | typeof BASE_GONE = BASE_GONE;
      for (const base of bases) if ((lines = await reads.reader.channel.diff(base)) !== BASE_GONE) break;
      if (lines === BASE_GONE)
        return { kind: 'unknown', reason: `the base snapshot ${token} is gone: resync by remote checksums`, nextToken };
      const extents = parseExtents(lines, sizeBytes);
      return {
        kind: 'extents',
        nextToken,
        extents: (async function* () {
          yield* extents;
        })(),
      };
    },
    read: reads.read,
    hashBlocks: reads.hashBlocks,
    close: reads.close,
  };
}

function parseExtents(text: string, sizeBytes: number): Extent[] {
  const out: Extent[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const m = /^(\d+) (\d+)$/.exec(line);
    if (!m) throw new DrkitError('protocol', `the extent diff printed ${JSON.stringify(line.slice(0, 80))}`);
    const offset = Number(m[1]);
    const length = Math.min(Number(m[2]), sizeBytes - offset);
    if (length > 0) out.push({ offset, length });
  }
  return out;
}
