import { HASH_BYTES, mapRootDigest, type BlockMap } from '@drkit/core';

/** The root over a map's entries, as every drkit store computes it (block-map.ts). */
export async function mapRootOf(map: BlockMap, sizeBytes: number): Promise<string> {
  const digest = mapRootDigest(sizeBytes);
  const blocks = map.blocks;
  const per = (1 << 20) / HASH_BYTES;
  for (let first = 0; first < blocks; first += per) digest.update(await map.read(first, Math.min(per, blocks - first)));
  return digest.digest('hex');
}
