import { readFile } from 'node:fs/promises';
import { DEFAULT_BLOCK_SIZE } from './block-hash.js';
import { writeFileAtomic } from './atomic-file.js';
import type { PointSlot } from './point-files.js';
import type { StoreLayout } from './store-layout.js';
import { DrkitError } from '@drkit/spec';

export interface StoreConfig {
  blockSize: number;
  /** Why store.json could not be used, when it could not (the block size then came from the points). */
  damage?: string;
}

const FORMAT = 'drkit-store/1';

/**
 * Reads store.json, creating it for a new store. A damaged one does not lock the points
 * away: every manifest records its disks' block size, so the store still opens, says what
 * is wrong, and a writing run puts store.json back (healConfig).
 */
export async function readStoreConfig(
  layout: StoreLayout,
  pointSlots: () => Promise<PointSlot[]>,
  wanted?: number,
): Promise<StoreConfig> {
  let text: string;
  try {
    text = await readFile(layout.config, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const slots = await pointSlots();
    if (slots.length === 0) {
      const blockSize = wanted ?? DEFAULT_BLOCK_SIZE;
      await writeStoreConfig(layout, blockSize);
      return { blockSize };
    }
    return fromPoints(slots, 'store.json is missing');
  }
  let config: { format?: unknown; blockSize?: unknown };
  try {
    config = JSON.parse(text) as typeof config;
  } catch {
    return fromPoints(await pointSlots(), 'store.json is not valid JSON');
  }
  if (config?.format !== FORMAT) {
    if (typeof config?.format === 'string' && /^drkit-store\//.test(config.format))
      throw new DrkitError('bad-input', `${layout.root}: unknown store format ${config.format}`);
    return fromPoints(await pointSlots(), `store.json names no store format`);
  }
  const blockSize = config.blockSize;
  if (typeof blockSize !== 'number' || !Number.isInteger(blockSize) || blockSize < 512 || blockSize % 512 !== 0)
    return fromPoints(await pointSlots(), `store.json has block size ${String(blockSize)}`);
  return { blockSize };
}

export function writeStoreConfig(layout: StoreLayout, blockSize: number): Promise<void> {
  return writeFileAtomic(layout.config, JSON.stringify({ format: FORMAT, blockSize }, null, 2));
}

function fromPoints(slots: PointSlot[], damage: string): StoreConfig {
  const sizes = new Set(
    slots.flatMap((s) => s.manifest?.members.flatMap((m) => m.disks.map((d) => d.blockSize)) ?? []),
  );
  if (sizes.size !== 1) {
    throw new DrkitError(
      'integrity',
      `${damage}, and the points do not tell the block size (${sizes.size === 0 ? 'no readable point' : [...sizes].join(', ')}); restore store.json from a copy`,
    );
  }
  return { blockSize: [...sizes][0]!, damage };
}
