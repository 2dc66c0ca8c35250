import { DrkitError, type DiskSource, type Extent, type OperationOptions, type ReadOptions } from '@drkit/spec';
import { HASH_BYTES } from '../store/block-hash.js';
import { planChunks } from './extent-plan.js';

/**
 * The allocation map is rounded out to this: a block of any store block size that divides
 * it is then wholly in use or wholly free, so the hashes a host sends and the bytes a read
 * returns always agree. Free clusters inside a rounded region are copied as they are: 64 KiB
 * keeps that small on a fragmented volume and the requests few.
 */
export const ALLOCATION_GRANULARITY = 64 * 1024;

/**
 * A disk whose file system says which clusters hold data (NTFS's volume bitmap): what lies
 * outside the map is free space, which reads as zeros and is never fetched — not in an
 * initial copy (only the map is planned), not in a resync (free blocks hash as zero here,
 * no request), not in a read (zeros are filled in). So every point is the volume with its
 * free space zeroed, and a resync never chases the stale bytes a file system leaves behind.
 */
export function maskUnallocated(source: DiskSource, allocated: readonly Extent[]): DiskSource {
  const map = planChunks([...allocated], source.sizeBytes, ALLOCATION_GRANULARITY, Number.POSITIVE_INFINITY);
  const pieces = (e: Extent) => split(map, e);
  return {
    diskId: source.diskId,
    sizeBytes: source.sizeBytes,
    ...(source.preferredReads && { preferredReads: source.preferredReads }),
    async *allocated() {
      yield* map.map((e) => ({ ...e }));
    },
    changedSince: (token, options) => source.changedSince(token, options),
    async read(extent: Extent, options: ReadOptions = {}): Promise<Uint8Array> {
      const parts = pieces(extent);
      if (parts.length === 1 && parts[0]!.used) return source.read(extent, options);
      const out = options.into?.length === extent.length ? options.into : Buffer.allocUnsafe(extent.length);
      const { into: _, ...rest } = options;
      await Promise.all(
        parts.map(async (p) => {
          const at = p.offset - extent.offset;
          if (!p.used) return out.fill(0, at, at + p.length);
          const data = await source.read({ offset: p.offset, length: p.length }, rest);
          if (data.length !== p.length)
            throw new DrkitError('protocol', `source returned ${data.length} bytes for a ${p.length}-byte read`);
          out.set(data, at);
        }),
      );
      return out;
    },
    ...(source.hashBlocks && {
      async *hashBlocks(extent: Extent, blockSize: number, options?: OperationOptions) {
        if (ALLOCATION_GRANULARITY % blockSize !== 0)
          throw new DrkitError('bad-input', `block size ${blockSize} does not divide ${ALLOCATION_GRANULARITY}`);
        for (const p of pieces(extent)) {
          if (p.used) yield* source.hashBlocks!({ offset: p.offset, length: p.length }, blockSize, options);
          else yield Buffer.alloc(Math.ceil(p.length / blockSize) * HASH_BYTES);
        }
      },
    }),
    close: () => source.close(),
  };
}

/** The extent cut where the map's regions begin and end, each piece marked in use or free. */
function split(map: readonly Extent[], e: Extent): Array<Extent & { used: boolean }> {
  const out: Array<Extent & { used: boolean }> = [];
  const end = e.offset + e.length;
  let at = e.offset;
  // The map is sorted and merged: find the first region that ends past the extent's start.
  let lo = 0;
  let hi = map.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (map[mid]!.offset + map[mid]!.length <= at) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; at < end; i++) {
    const r = map[i];
    const next = r ? Math.min(end, Math.max(at, r.offset)) : end;
    if (next > at) out.push({ offset: at, length: next - at, used: false });
    at = next;
    if (!r || at >= end) break;
    const stop = Math.min(end, r.offset + r.length);
    out.push({ offset: at, length: stop - at, used: true });
    at = stop;
  }
  return out;
}
