import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type Azurite } from '../../../test/harness/azurite.js';
import { azureSite } from './azure-site.js';

let azurite: Azurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

const MiB = 2 ** 20;

describe('the Azure store, against Azurite', () => {
  it('replicates initial, delta and resync; every point restores byte-identical', async () => {
    const s = await azureSite(azurite, { web: { os: 3 * MiB + 4096 * 5, data: 2 * MiB }, db: { os: 4 * MiB } });
    const images: Array<Map<string, Buffer>> = [];
    const first = await s.replicate();
    images.push(await s.sourceImages());
    expect(first.point.members.flatMap((m) => m.disks).every((d) => d.mode === 'initial')).toBe(true);
    await s.write('web', 'os', 40);
    await s.write('db', 'os', 5);
    const second = await s.replicate();
    images.push(await s.sourceImages());
    expect(second.point.members.find((m) => m.machineId === 'web')!.disks.find((d) => d.name === 'os')!.mode).toBe(
      'delta',
    );
    await s.write('db', 'os', 7);
    const third = await s.replicate({ resync: true });
    images.push(await s.sourceImages());
    expect(third.point.members.flatMap((m) => m.disks).every((d) => d.mode === 'resync')).toBe(true);

    const store = await s.open({ create: false });
    const points = await store.listPoints();
    expect(points.map((p) => p.id)).toEqual([first.point.id, second.point.id, third.point.id]);
    expect((await store.verify()).every((r) => r.ok)).toBe(true);
    await store.close();
    for (const [i, p] of points.entries()) {
      const restored = await s.restore(p.id);
      for (const [name, bytes] of images[i]!) expect(restored.get(name)?.equals(bytes), `${p.id} ${name}`).toBe(true);
    }
  });
});

describe('crash safety of the Azure store', () => {
  it('an interrupted run is resumed by the next run over the same disks', async () => {
    const s = await azureSite(azurite, { web: { os: 6 * MiB } });
    await s.replicate();
    const before = await s.sourceImages();
    await s.write('web', 'os', 300);
    const stop = new AbortController();
    await expect(
      s.replicate({ signal: stop.signal, onBytes: (sent) => sent > 64 * 1024 && stop.abort() }),
    ).rejects.toThrow();
    const store = await s.open({ create: false });
    expect(await store.listPoints()).toHaveLength(1); // nothing half-made is listed
    await store.close();
    const again = await s.replicate();
    expect(again.resumed).toBe(true);
    const after = await s.sourceImages();
    const points = await (async () => {
      const st = await s.open({ create: false });
      try {
        return await st.listPoints();
      } finally {
        await st.close();
      }
    })();
    expect(points).toHaveLength(2);
    expect((await s.restore(points[0]!.id)).get('web/os')!.equals(before.get('web/os')!)).toBe(true);
    expect((await s.restore(points[1]!.id)).get('web/os')!.equals(after.get('web/os')!)).toBe(true);
  });

  it('any other run rolls the interrupted one back first: the replica is its newest point again', async () => {
    const s = await azureSite(azurite, { web: { os: 4 * MiB }, db: { os: 4 * MiB } });
    await s.replicate();
    const before = await s.sourceImages();
    await s.write('db', 'os', 200);
    await s.write('web', 'os', 200);
    const stop = new AbortController();
    await expect(
      s.replicate({ signal: stop.signal, onBytes: (sent) => sent > 256 * 1024 && stop.abort() }),
    ).rejects.toThrow();
    const third = await s.replicate({ machines: ['web'] });
    expect(third.resumed).toBe(false);
    const store = await s.open({ create: false });
    try {
      expect(store.warnings.join()).toBe('');
      expect(await store.findings()).toEqual([]); // db's replica is byte for byte its newest snapshot
      expect((await store.verify()).every((r) => r.ok)).toBe(true);
    } finally {
      await store.close();
    }
    const first = await s.restore((await listIds(s))[0]!);
    for (const [name, bytes] of before) expect(first.get(name)!.equals(bytes), name).toBe(true);
    const delta = await s.replicate({ machines: ['db'] });
    expect(delta.point.members[0]!.disks[0]!.mode).toBe('delta');
    const last = await s.restore(delta.point.id);
    expect(last.get('db/os')!.equals((await s.sourceImages()).get('db/os')!)).toBe(true);
  });

  it("a page changed behind drkit's back: verify says so, replicate refuses, a resync heals it", async () => {
    const s = await azureSite(azurite, { web: { os: 2 * MiB } });
    await s.replicate();
    const store = await s.open({ create: false });
    const vhd = [];
    for await (const b of store.container.listBlobsFlat({ prefix: store.layout.disks }))
      if (b.name.endsWith('disk.vhd')) vhd.push(b.name);
    const blob = store.container.getPageBlobClient(vhd[0]!);
    const page = (await blob.downloadToBuffer(8192, 512)).map((b) => b ^ 0xff); // every byte differs
    await blob.uploadPages(Buffer.from(page), 8192, 512);
    const findings = await store.findings();
    await store.close();
    expect(findings).toHaveLength(1);
    expect(findings[0]!.problem).toMatch(/changed behind drkit's back .* \(512 bytes differ\)/);
    await expect(s.replicate()).rejects.toThrow(/changed behind drkit's back: 1 blocks differ/);
    const healed = await s.replicate({ resync: true });
    expect(healed.point.warnings.join()).toMatch(/healed by this resync/);
    expect((await s.restore(healed.point.id)).get('web/os')!.equals((await s.sourceImages()).get('web/os')!)).toBe(
      true,
    );
  });

  it('follows a disk that grows and shrinks, keeping the footer at the rounded end', async () => {
    const s = await azureSite(azurite, { web: { os: 2 * MiB } });
    await s.replicate();
    const path = `${s.site}/web/os.img`;
    const { truncate } = await import('node:fs/promises');
    await truncate(path, 3 * MiB + 4096);
    const grown = await s.replicate();
    expect((await s.restore(grown.point.id)).get('web/os')!.equals((await s.sourceImages()).get('web/os')!)).toBe(true);
    await truncate(path, MiB + 512);
    const shrunk = await s.replicate();
    expect((await s.restore(shrunk.point.id)).get('web/os')!.equals((await s.sourceImages()).get('web/os')!)).toBe(
      true,
    );
    const store = await s.open({ create: false });
    try {
      expect((await store.verify()).every((r) => r.ok)).toBe(true);
      expect(await store.findings()).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

async function listIds(s: Awaited<ReturnType<typeof azureSite>>): Promise<string[]> {
  const store = await s.open({ create: false });
  try {
    return (await store.listPoints()).map((p) => p.id);
  } finally {
    await store.close();
  }
}
