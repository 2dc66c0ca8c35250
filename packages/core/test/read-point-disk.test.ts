import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeSite, randomWrites } from './reference-site-helper.js';
import { replicationHarness } from './replication-helper.js';

const MiB = 1 << 20;

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

describe('reading a point disk as a checked stream (what a recovery uploads)', () => {
  it("gives each point's bytes — the newest from the replica, an older one with its undo journal laid over", async () => {
    const site = await makeSite({ vm: { disks: { os: 9 * MiB + 4096 } } });
    const h = await replicationHarness(site);
    const first = await h.replicate();
    await randomWrites(site, 'vm', 'os', 9 * MiB + 4096, 300);
    const second = await h.replicate();
    const key = first.point.members[0]!.disks[0]!.key;
    const expected = [
      (await h.restore(first.point.id)).get('vm/os')!,
      (await h.restore(second.point.id)).get('vm/os')!,
    ];
    expect(expected[0]!.equals(expected[1]!)).toBe(false);
    const store = await h.store();
    try {
      for (const [i, p] of [first, second].entries())
        expect((await collect(store.readPointDisk(p.point.id, key))).equals(expected[i]!)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('reads into chunks handed back by the consumer; the bytes stay right while it scribbles on them', async () => {
    const site = await makeSite({ vm: { disks: { os: 40 * MiB + 4096 } } });
    const h = await replicationHarness(site);
    const first = await h.replicate();
    await randomWrites(site, 'vm', 'os', 40 * MiB + 4096, 300);
    const second = await h.replicate();
    const key = first.point.members[0]!.disks[0]!.key;
    const expected = (await h.restore(first.point.id)).get('vm/os')!;
    const store = await h.store();
    try {
      const parts: Buffer[] = [];
      let handedBack = 0;
      // An older point: chunks carry journal blocks laid over replica blocks.
      expect(second.point.id).not.toBe(first.point.id);
      for await (const c of store.readPointDisk(first.point.id, key)) {
        parts.push(Buffer.from(c));
        // Given back as an upload thread would, then written over: only reads may fill it again.
        store.recyclePointChunk!(c);
        c.fill(0xaa);
        handedBack++;
      }
      expect(handedBack).toBe(11);
      expect(Buffer.concat(parts).equals(expected)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('ends with an integrity error at a damaged block, never handing it on', async () => {
    const site = await makeSite({ vm: { disks: { os: 12 * MiB } } });
    const h = await replicationHarness(site);
    const run = await h.replicate();
    const key = run.point.members[0]!.disks[0]!.key;
    // One byte of the replica flipped in its third 4 MiB chunk.
    const file = await open(join(h.storeDir, 'disks', key, 'replica.img'), 'r+');
    const store = await h.store();
    try {
      const at = 9 * MiB + 123;
      const b = Buffer.alloc(1);
      await file.read(b, 0, 1, at);
      b[0] = b[0]! ^ 0xff;
      await file.write(b, 0, 1, at);
      await file.close();
      const got: Buffer[] = [];
      const reading = (async () => {
        for await (const c of store.readPointDisk(run.point.id, key)) got.push(Buffer.from(c));
      })();
      await expect(reading).rejects.toMatchObject({ code: 'integrity' });
      expect(got.length).toBeLessThanOrEqual(2); // at most the two good chunks before it, nothing after
    } finally {
      await store.close();
    }
  });
});
