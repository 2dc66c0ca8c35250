import { randomBytes } from 'node:crypto';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type Azurite } from '../../../test/harness/azurite.js';
import { AzureLayout } from '../src/azure-layout.js';
import { parseAzureLocation } from '../src/azure-location.js';
import { ReplicaMap, UNKNOWN_ENTRY } from '../src/replica-map.js';

let azurite: Azurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

const KEY = 'disk-a';

async function freshContainer(): Promise<{ container: ContainerClient; layout: AzureLayout }> {
  const name = `m${randomBytes(6).toString('hex')}`;
  const container = new ContainerClient(
    `${azurite.endpoint}/${name}`,
    new StorageSharedKeyCredential(azurite.account, azurite.key),
  );
  await container.create();
  return { container, layout: new AzureLayout(parseAzureLocation(`azure://${azurite.account}/${name}/s`)) };
}

async function blobNames(container: ContainerClient): Promise<string[]> {
  const names: string[] = [];
  for await (const b of container.listBlobsFlat()) names.push(b.name);
  return names;
}

/** Appends the store holds for the disk's map, over all its log blobs. */
async function appendCount(container: ContainerClient, layout: AzureLayout): Promise<number> {
  let n = 0;
  for await (const b of container.listBlobsFlat({ prefix: layout.logPrefix(KEY) }))
    n += (await container.getAppendBlobClient(b.name).getProperties()).blobCommittedBlockCount ?? 0;
  return n;
}

const hashes = (count: number, seed: number) => Buffer.alloc(count * 32, seed);

describe('the replica checksum map in the store (append-blob logs and a full copy)', () => {
  it("logs a batch's checksums with the next batch's dirty record: one Append Block per batch", async () => {
    const { container, layout } = await freshContainer();
    const map = await ReplicaMap.load(container, layout, KEY, 1024);
    try {
      await map.markDirty([[0, 8]]);
      expect(await appendCount(container, layout)).toBe(1);
      await map.setHashes([{ first: 0, hashes: hashes(8, 1) }]);
      expect(await appendCount(container, layout)).toBe(1); // kept, not yet logged
      await map.markDirty([[8, 8]]);
      expect(await appendCount(container, layout)).toBe(2); // batch 1's checksums + batch 2's dirty record
      await map.setHashes([{ first: 8, hashes: hashes(8, 2) }]);
      await map.logHashes();
      expect(await appendCount(container, layout)).toBe(3);
    } finally {
      await map.close();
    }
    // What the store says, read back by a new run: both batches landed, both touched since the last commit.
    const again = await ReplicaMap.load(container, layout, KEY, 1024);
    try {
      expect((await again.local.read(0, 16)).equals(Buffer.concat([hashes(8, 1), hashes(8, 2)]))).toBe(true);
      expect(again.touched).toEqual([
        [0, 8],
        [8, 8],
      ]);
    } finally {
      await again.close();
    }
  });

  it('checksums a crash kept from the log read as unknown: those blocks are rewritten, never trusted', async () => {
    const { container, layout } = await freshContainer();
    const map = await ReplicaMap.load(container, layout, KEY, 64);
    await map.markDirty([[0, 4]]);
    await map.setHashes([{ first: 0, hashes: hashes(4, 7) }]);
    await map.close(); // the process dies here: nothing more reaches the store
    const again = await ReplicaMap.load(container, layout, KEY, 64);
    try {
      expect((await again.local.read(0, 4)).equals(Buffer.concat(Array(4).fill(UNKNOWN_ENTRY)))).toBe(true);
    } finally {
      await again.close();
    }
  });

  it("keeps a first copy's map as logs until they outgrow a full copy; then writes one and drops them", async () => {
    const { container, layout } = await freshContainer();
    const blocks = 64 * 1024; // a full copy is 2 MiB
    const map = await ReplicaMap.load(container, layout, KEY, blocks);
    try {
      // 1.25 MiB of checksums: past the 1 MiB floor and an eighth of a copy, short of a copy.
      for (let first = 0; first < 40 * 1024; first += 4096) {
        await map.markDirty([[first, 4096]]);
        await map.setHashes([{ first, hashes: hashes(4096, 3) }]);
      }
      await map.commit(1);
      expect(map.wantsCompaction).toBe(false);
      expect((await blobNames(container)).some((n) => n === layout.map(KEY))).toBe(false);
      // Past a copy's size: now a copy is the cheaper read.
      for (let first = 0; first < 32 * 1024; first += 4096) {
        await map.markDirty([[first, 4096]]);
        await map.setHashes([{ first, hashes: hashes(4096, 4) }]);
      }
      await map.commit(2);
      expect(map.wantsCompaction).toBe(true);
      await map.compact();
      expect(await blobNames(container)).toEqual([layout.map(KEY)]);
      // With a copy in the store, an eighth of it (floored at 1 MiB) of new logs is enough.
      for (let first = 0; first < 36 * 1024; first += 4096) {
        await map.markDirty([[first, 4096]]);
        await map.setHashes([{ first, hashes: hashes(4096, 5) }]);
      }
      await map.commit(3);
      expect(map.wantsCompaction).toBe(true);
    } finally {
      await map.close();
    }
    const again = await ReplicaMap.load(container, layout, KEY, blocks);
    try {
      expect((await again.local.read(0, 1)).equals(hashes(1, 5))).toBe(true);
      expect((await again.local.read(36 * 1024, 1)).equals(hashes(1, 3))).toBe(true);
      expect(again.touched).toEqual([]);
    } finally {
      await again.close();
    }
  });
});
