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
