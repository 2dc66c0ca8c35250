import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { PointManifest } from '@drkit/core';
import { drkit } from './run-drkit.js';

let site: string;
let store: string;
beforeEach(async () => {
  site = await mkdtemp(join(tmpdir(), 'drkit-cli-site-'));
  store = `dir:${join(await mkdtemp(join(tmpdir(), 'drkit-cli-store-')), 's')}`;
  for (const m of ['web', 'db']) {
    await mkdir(join(site, m));
    await writeFile(join(site, m, 'os.img'), randomBytes(256 * 1024));
  }
  await writeFile(join(site, 'db', 'machine.json'), JSON.stringify({ name: 'db01', powerState: 'off' }));
});

describe('drkit snapshot / replicate / points / restore / verify', () => {
  it('an app-consistent group with a powered-off member fails under require, and leaves nothing behind', async () => {
    const run = await drkit(['snapshot', `file://${site}`, '--consistency', 'app', '--policy', 'require']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/db01 .*powered off.*\[invalid-state\]/);
    expect(await readdir(join(site, '.drkit-snapshots')).catch(() => [])).toEqual([]);
  });

  it('the same group falls back to crash consistency and says so, per machine and for the group', async () => {
    const run = await drkit([
      'replicate',
      `file://${site}`,
      '--consistency',
      'app',
      '--policy',
      'fallback-to-crash',
      '--target',
      store,
      '--json',
    ]);
    expect(run.code).toBe(0);
    const point = JSON.parse(run.stdout) as PointManifest;
    expect(point.consistency).toMatchObject({ requested: 'app', achieved: 'crash' });
    expect(point.consistency.reason).toMatch(/powered off/);
    expect(point.members.map((m) => [m.name, m.requested, m.achieved])).toEqual([
      ['db01', 'app', 'crash'],
      ['web', 'app', 'crash'],
    ]);
  });

  it('lists, prunes, restores by id prefix, and verifies — and exits 6 when a replica is corrupt', async () => {
    for (let i = 0; i < 3; i++)
      expect((await drkit(['replicate', `file://${site}`, '--machine', 'web', '--target', store])).code).toBe(0);
    const list = JSON.parse((await drkit(['points', store, '--json'])).stdout) as PointManifest[];
    expect(list).toHaveLength(3);
    const pruned = await drkit(['points', store, '--prune', '--keep', '2', '--json']);
    expect((JSON.parse(pruned.stdout) as PointManifest[]).map((p) => p.id)).toEqual(list.slice(1).map((p) => p.id));
    const out = await mkdtemp(join(tmpdir(), 'drkit-cli-out-'));
    const restore = await drkit(['restore', store, list[2]!.id.slice(0, 8), '--out', out]);
    expect(restore.code).toBe(0);
    expect((await readFile(join(out, 'web', 'os.img'))).equals(await readFile(join(site, 'web', 'os.img')))).toBe(true);
    expect((await drkit(['verify', store])).stdout).toMatch(/ok\n.*ok\n/);
    const replica = join(store.slice(4), 'disks', list[2]!.members[0]!.disks[0]!.key, 'replica.img');
    const f = await open(replica, 'r+');
    await f.write(Buffer.from('corrupt'), 0, 7, 1000);
    await f.close();
    const verify = await drkit(['verify', store]);
    expect(verify.code).toBe(6);
    expect(verify.stdout).toMatch(/CORRUPT/);
  });

  it('refuses what it cannot do, with a one-line reason', async () => {
    expect((await drkit(['replicate', `file://${site}`, '--target', 'nfs:/x'])).stderr).toMatch(
      /unknown target nfs:\/x/,
    );
    expect((await drkit(['points', '/nonexistent'])).stderr).toMatch(/is not a drkit store/);
    expect((await drkit(['snapshot', `file://${site}`, '--consistency', 'eventual'])).code).toBe(2);
  });
});
