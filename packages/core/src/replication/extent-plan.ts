import type { Extent } from '@drkit/spec';

/**
 * Turns what a source reports (any order, any alignment, overlapping) into sorted,
 * block-aligned, merged extents clipped to the disk, then cut into chunks of at most
 * `chunkBytes` — the unit the engine reads, hashes and writes.
 */
export function planChunks(extents: Extent[], sizeBytes: number, blockSize: number, chunkBytes: number): Extent[] {
  const aligned = extents
    .filter((e) => e.length > 0 && e.offset < sizeBytes)
    .map((e) => {
      const start = Math.floor(e.offset / blockSize) * blockSize;
      const end = Math.min(sizeBytes, Math.ceil((e.offset + e.length) / blockSize) * blockSize);
      return { offset: start, length: end - start };
    })
    .sort((a, b) => a.offset - b.offset);
  const merged: Extent[] = [];
  for (const e of aligned) {
    const last = merged.at(-1);
    if (last && e.offset <= last.offset + last.length)
      last.length = Math.max(last.length, e.offset + e.length - last.offset);
    else merged.push({ ...e });
  }
  return merged.flatMap((e) => split(e, chunkBytes));
}

export function wholeDisk(sizeBytes: number, chunkBytes: number): Extent[] {
  return split({ offset: 0, length: sizeBytes }, chunkBytes);
}

function split(e: Extent, chunkBytes: number): Extent[] {
  const out: Extent[] = [];
  for (let o = e.offset; o < e.offset + e.length; o += chunkBytes)
    out.push({ offset: o, length: Math.min(chunkBytes, e.offset + e.length - o) });
  return out;
}

export async function collectExtents(source: AsyncIterable<Extent>, limit = 50_000_000): Promise<Extent[]> {
  const out: Extent[] = [];
  for await (const e of source) {
    out.push(e);
    if (out.length > limit) throw new RangeError('more changed extents than the engine holds; resync instead');
  }
  return out;
}
