import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseProtectionConfig, type ProtectionGroup } from '@drkit/service';
import { loadRegistry } from '../src/adapter-registry.js';
import { registryGroupRunner } from '../src/service-runner.js';

// The service's runs through the CLI's registry, on the reference adapter and a dir: store.
let dir: string;
let site: string;
let group: ProtectionGroup;
const signal = new AbortController().signal;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drkit-runner-'));
  site = join(dir, 'site');
  for (const m of ['web', 'db']) {
    await mkdir(join(site, m), { recursive: true });
    await writeFile(join(site, m, 'os.img'), randomBytes(128 * 1024));
  }
  const config = parseProtectionConfig(
    {
      groups: [
        {
          name: 'site',
          target: 'dir:./store',
          members: ['web', 'db'].map((machine) => ({ endpoint: `file://${site}`, machine })),
        },
      ],
    },
    join(dir, 'drkit.yaml'),
  );
  group = config.groups[0]!;
});

describe("the service's group runner (the CLI's registry)", () => {
  it('replicates a point, applies retention after it, and says which disks joined since the last one', async () => {
    const runner = registryGroupRunner(await loadRegistry([]), () => {});
    const first = await runner.run(group, { consistency: 'app', tag: 'drkit-t1', resync: false, signal });
    expect(first).toMatchObject({ achieved: 'app', bytesRead: 256 * 1024, pruned: 0, inventoryChanges: [] });
    expect(first.pointAt).toBeLessThanOrEqual(Date.now());

    // A disk added to a member between runs: discovery before the run picks it up.
    await writeFile(join(site, 'db', 'data.img'), randomBytes(64 * 1024));
    const short = { ...group, policy: { ...group.policy, retentionMs: 1 } }; // every older point is past retention
    const second = await runner.run(short, { consistency: 'crash', tag: 'drkit-t2', resync: false, signal });
    expect(second.inventoryChanges).toEqual(['new disk db/data: its first copy is in this point']);
    expect(second.pruned).toBe(1);
    expect(second.bytesRead).toBe(64 * 1024); // the unchanged disks went as deltas
  });

  it('a machine removed from the site fails the run as bad input naming it (the service waits for an operator)', async () => {
    const runner = registryGroupRunner(await loadRegistry([]), () => {});
    await rm(join(site, 'db'), { recursive: true });
    await expect(
      runner.run(group, { consistency: 'crash', tag: 'drkit-t3', resync: false, signal }),
    ).rejects.toMatchObject({
      code: 'bad-input',
      message: expect.stringContaining('no machine with id or name db'),
    });
  });

  it('cleanup removes the snapshots of one tag only', async () => {
    const runner = registryGroupRunner(await loadRegistry([]), () => {});
    const registry = await loadRegistry([]);
    const { openAdapter } = await import('../src/open-adapter.js');
    const { adapter } = await openAdapter(`file://${site}`, {}, () => {}, registry);
    await adapter.connect();
    for (const tag of ['drkit-left', 'drkit-keep'])
      await adapter.snapshots.take(await adapter.snapshots.prepare({ machineId: 'web', consistency: 'crash', tag }));
    const result = await runner.cleanup(group, 'drkit-left', { signal });
    expect(result).toEqual({ removed: 1, failed: [] });
    expect((await adapter.snapshots.listTagged('drkit-keep')).length).toBe(1);
    await adapter.close();
  });
});
