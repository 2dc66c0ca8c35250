import { open, stat } from 'node:fs/promises';
import { throwIfAborted } from '@drkit/spec';
import type { OperationOptions } from '@drkit/spec';
import { HASH_BYTES } from './block-hash.js';
import { mapRoot } from './block-map.js';
import { sharedHashPool } from './hash-pool.js';
import type { PointDisk } from './point-manifest.js';
import { readSealedJson, writeSealedJson } from './sealed-json.js';
import type { StoreLayout } from './store-layout.js';

/**
 * Whether a replica is still the one the store last left whole. A run continues from the
 * replica (a delta rewrites only what changed), so a replica damaged behind drkit's back
 * would be carried into every new point. Checking every byte before each run costs a read
 * of the disk; instead the store seals the identity of replica.img, blocks.map and
 * blocks.crc (inode, size, mtime, ctime — ctime cannot be set back by a writer) after each
 * commit, and reads everything only when the seal no longer matches. Media that rot
 * without a write are verify's to find.
 */
export async function replicaSealed(layout: StoreLayout, key: string): Promise<boolean> {
  const read = await readSealedJson(layout.seal(key)).catch(() => undefined);
  if (!read?.ok) return false;
  const now = await fingerprint(layout, key).catch(() => undefined);
  return now !== undefined && JSON.stringify(now) === JSON.stringify((read.value as { files?: unknown }).files);
}

/** `pointId`: the point the replica now holds, so a lost newest manifest can still be named. */
export async function sealReplica(layout: StoreLayout, key: string, pointId: string): Promise<void> {
  await writeSealedJson(layout.seal(key), { pointId, files: await fingerprint(layout, key) });
}

/** The point a replica was last sealed at, if its seal is readable. */
export async function sealedPoint(layout: StoreLayout, key: string): Promise<string | undefined> {
  const read = await readSealedJson(layout.seal(key)).catch(() => undefined);
  const id = read?.ok ? (read.value as { pointId?: unknown }).pointId : undefined;
  return typeof id === 'string' ? id : undefined;
}

async function fingerprint(layout: StoreLayout, key: string): Promise<string[]> {
  const files = [layout.replica(key), layout.map(key), layout.crc(key)];
  const stats = await Promise.all(files.map((f) => stat(f, { bigint: true })));
  return stats.map((s) => `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`);
}

export interface ReplicaScan {
  /** What is wrong, for people; empty when the replica is the newest point's, whole. */
  problems: string[];
  /** Blocks whose data does not match their CRC (or lie past a cut-off end), as a bitmap. */
  badBlocks?: Uint8Array;
  badCount: number;
}

/**
 * Reads a replica against the newest point that holds it: file sizes, the SHA-256 map
 * against the point's root, and every block's data against its CRC-32 (on the hash pool's
 * threads). Unlike verify it does not stop at the first bad block: a resync uses the list
 * to rewrite exactly what is damaged.
 */
export async function scanReplica(
  layout: StoreLayout,
  disk: PointDisk,
  options: OperationOptions = {},
): Promise<ReplicaScan> {
  const bs = disk.blockSize;
  const blocks = Math.ceil(disk.sizeBytes / bs);
  const problems: string[] = [];
  const size = async (path: string) =>
    stat(path).then(
      (s) => s.size,
      () => -1,
    );
  const [replicaSize, mapSize, crcSize] = await Promise.all([
    size(layout.replica(disk.key)),
    size(layout.map(disk.key)),
    size(layout.crc(disk.key)),
  ]);
  const sizeProblem = (what: string, actual: number, expected: number) => {
    if (actual < 0) problems.push(`${what} is missing`);
    else if (actual !== expected) problems.push(`${what} holds ${actual} bytes, ${expected} expected`);
  };
  sizeProblem('replica.img', replicaSize, disk.sizeBytes);
  sizeProblem('blocks.map', mapSize, blocks * HASH_BYTES);
  sizeProblem('blocks.crc', crcSize, blocks * 4);
  if (mapSize >= 0) {
    const map = await open(layout.map(disk.key), 'r');
    try {
      if ((await mapRoot(map, blocks, disk.sizeBytes)) !== disk.root)
        problems.push(`blocks.map does not give the point's checksum root`);
    } finally {
      await map.close();
    }
  }

  const badBlocks = new Uint8Array(Math.ceil(blocks / 8));
  let badCount = 0;
  const replica = replicaSize >= 0 ? await open(layout.replica(disk.key), 'r') : undefined;
  const crcs = crcSize >= 0 ? await open(layout.crc(disk.key), 'r') : undefined;
  try {
    const chunk = 4 << 20;
    const pool = sharedHashPool();
    for (let offset = 0; offset < disk.sizeBytes; offset += chunk) {
      throwIfAborted(options.signal);
      const length = Math.min(chunk, disk.sizeBytes - offset);
      const count = Math.ceil(length / bs);
      const expected = Buffer.alloc(count * 4);
      if (crcs) await crcs.read(expected, 0, expected.length, (offset / bs) * 4);
      const actual = replica
        ? await pool.crcFile(replica.fd, Math.max(0, replicaSize), offset, length, bs)
        : Buffer.alloc(count * 4);
      for (let i = 0; i < count; i++) {
        if (actual.readUInt32LE(i * 4) === expected.readUInt32LE(i * 4)) continue;
        const b = offset / bs + i;
        badBlocks[b >> 3]! |= 1 << (b & 7);
        badCount++;
      }
    }
  } finally {
    await replica?.close();
    await crcs?.close();
  }
  if (badCount > 0) problems.push(`${badCount} blocks do not match their checksums`);
  return { problems, badCount, ...(badCount > 0 && { badBlocks }) };
}
