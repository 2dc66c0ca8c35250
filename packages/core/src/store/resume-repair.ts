import { open } from 'node:fs/promises';
import { blockCrcs, blockHashes } from './block-hash.js';
import { BlockMap } from './block-map.js';
import type { RunIntent } from './run-intent.js';
import type { StoreLayout } from './store-layout.js';
import { readUndoJournal } from './undo-journal.js';

/**
 * Before a run resumes, re-derives the checksum maps from the replica's actual data for
 * every block the interrupted run may have touched: data and map writes are not ordered
 * on disk (a crash can keep one without the other), and resume skips blocks whose map
 * entry already matches the source. Touched = every block in the run's undo journal (it is
 * fsynced before any replica write), and every block past the disk's old end (not
 * journaled: it had no content before); for a disk new in the run, every block.
 */
export async function repairTouchedBlocks(layout: StoreLayout, intent: RunIntent, blockSize: number): Promise<number> {
  let repaired = 0;
  for (const d of intent.disks) {
    const replica = await open(layout.replica(d.key), 'a+').then(async (f) => {
      await f.close();
      return open(layout.replica(d.key), 'r');
    });
    const size = (await replica.stat()).size;
    const blocks = Math.ceil(size / blockSize);
    const map = await BlockMap.open(layout.map(d.key), blocks);
    const crcs = await BlockMap.open(layout.crc(d.key), blocks, 4);
    try {
      const fix = async (first: number, count: number) => {
        const length = Math.min(count * blockSize, size - first * blockSize);
        if (length <= 0) return;
        const data = Buffer.alloc(length);
        await replica.read(data, 0, length, first * blockSize);
        await map.write(first, blockHashes(data, blockSize));
        await crcs.write(first, blockCrcs(data, blockSize));
        repaired += Math.ceil(length / blockSize);
      };
      const perChunk = (4 << 20) / blockSize;
      const from = d.hadReplica ? Math.floor(d.oldSize / blockSize) : 0;
      for (let first = from; first < blocks; first += perChunk) await fix(first, Math.min(perChunk, blocks - first));
      if (d.hadReplica) {
        const journal = await readUndoJournal(layout.stagedUndo(d.key)).catch(() => undefined);
        const touched = new Set<number>();
        if (journal) for await (const r of journal.reverse()) touched.add(r.offset / blockSize);
        for (const block of touched) await fix(block, 1);
      }
      await map.sync();
      await crcs.sync();
    } finally {
      await replica.close();
      await map.close();
      await crcs.close();
    }
  }
  return repaired;
}
