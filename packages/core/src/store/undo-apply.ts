import { open } from 'node:fs/promises';
import { blockCrcs } from './block-hash.js';
import { BlockMap } from './block-map.js';
import { writeFully } from './store-io.js';
import type { StoreLayout } from './store-layout.js';
import { readUndoJournal } from './undo-journal.js';

/**
 * Rebuilds a disk as it was before a run: its undo records applied newest first (replica
 * data, SHA-256 and CRC entries), then replica and maps cut back to the old size — also
 * when the run died before journaling anything, so a grown replica shrinks back.
 * Overwrites in place only: it needs no free space beyond what the run already took.
 */
export async function undoInto(layout: StoreLayout, key: string, oldSize: number, blockSize: number): Promise<void> {
  const path = layout.replica(key);
  const replica = await open(path, 'r+');
  const blocks = Math.ceil(Math.max((await replica.stat()).size, oldSize) / blockSize);
  const map = await BlockMap.open(layout.map(key), blocks);
  const crcs = await BlockMap.open(layout.crc(key), blocks, 4);
  try {
    // No journal: the run died before its first batch. A damaged one is not skipped.
    const journal = await readUndoJournal(layout.stagedUndo(key), blockSize).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    });
    for await (const r of journal?.reverse() ?? []) {
      // Past the old end the truncate below restores the old state; writing there would
      // only fill holes, on a file system that may just have run out of space.
      if (r.offset >= oldSize) continue;
      await writeFully(replica, r.data, r.offset, path);
      await map.write(r.offset / blockSize, Buffer.from(r.hash));
      // A disk's last block may be short: its CRC covers its real length, not the padding.
      await crcs.write(
        r.offset / blockSize,
        blockCrcs(r.data.subarray(0, Math.min(blockSize, oldSize - r.offset)), blockSize),
      );
    }
    await replica.truncate(oldSize);
    await replica.sync();
    for (const m of [map, crcs]) {
      await m.resize(Math.ceil(oldSize / blockSize));
      await m.sync();
    }
  } finally {
    await replica.close();
    await map.close();
    await crcs.close();
  }
}
