import { open } from 'node:fs/promises';
import { DrkitError } from '@drkit/spec';
import type { ChangeSet, DiskSource, Extent, ReadOptions } from '@drkit/spec';
import type { OperationOptions } from '@drkit/spec';
import { changesBetween } from './reference-change-log.js';
import type { FaultInjector } from './reference-faults.js';
import { ownedBuffer } from '../store/hash-pool.js';

/** Reads one disk of a reference snapshot; changes come from the machine's change log. */
export async function openReferenceDisk(args: {
  diskId: string;
  /** The disk's file name in the machine folder, without `.img`. */
  disk: string;
  image: string;
  machineDir: string;
  machine: string;
  token: string;
  faults: FaultInjector;
}): Promise<DiskSource> {
  const file = await open(args.image, 'r');
  const sizeBytes = (await file.stat()).size;
  return {
    diskId: args.diskId,
    sizeBytes,
    async *allocated(): AsyncIterable<Extent> {
      // A raw file cannot tell holes from data portably; the engine skips zero blocks.
      yield { offset: 0, length: sizeBytes };
    },
    async changedSince(token: string | undefined, _options?: OperationOptions): Promise<ChangeSet> {
      if (!token) return { kind: 'unknown', reason: 'no previous token', nextToken: args.token };
      const changes = await changesBetween(args.machineDir, args.disk, token, args.token);
      if (typeof changes === 'string') return { kind: 'unknown', reason: changes, nextToken: args.token };
      return {
        kind: 'extents',
        nextToken: args.token,
        extents: (async function* () {
          yield* changes;
        })(),
      };
    },
    async read(extent: Extent, options?: ReadOptions): Promise<Uint8Array> {
      await args.faults.at('read', args.machine, extent.length);
      if (extent.offset + extent.length > sizeBytes)
        throw new DrkitError('bad-input', `read past the end of ${args.diskId}`);
      // The engine's recycled buffer where it offers one (no allocation, no GC per chunk); else
      // one owning its memory, so it can move to a hashing thread without a copy.
      const buf = options?.into?.length === extent.length ? options.into : ownedBuffer(extent.length);
      const { bytesRead } = await file.read(buf, 0, extent.length, extent.offset);
      if (bytesRead !== extent.length)
        throw new DrkitError('protocol', `short read of ${args.diskId} at ${extent.offset}`);
      return buf;
    },
    async close() {
      await file.close();
    },
  };
}
