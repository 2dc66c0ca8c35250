import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inventory } from '@drkit/core';
import { startFakeOntap, type FakeOntap } from '../../../test/harness/fake-ontap.js';
import { startFakePure, type FakePure } from '../../../test/harness/fake-pure.js';
import { drkit } from './run-drkit.js';

// The CLI against the mock arrays of test/harness (no array simulator exists), over HTTPS
// with their self-signed certificates, as arrays ship.
describe('drkit against storage arrays (mock ONTAP and FlashArray over HTTPS)', () => {
  let ontap: FakeOntap;
  let pure: FakePure;
  let ontapUrl: string;
  beforeAll(async () => {
    [ontap, pure] = await Promise.all([startFakeOntap({ tls: true }), startFakePure({ tls: true })]);
    ontapUrl = `ontap://${ontap.username}@${new URL(ontap.url).host}`;
  });
  afterAll(async () => {
    await ontap?.stop();
    await pure?.stop();
  });

  it('refuses the self-signed certificate unless pinned, and says how to pin it', async () => {
    const run = await drkit(['discover', ontapUrl, '--json'], { DRKIT_PASSWORD: ontap.password });
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/--thumbprint/);
    expect(run.stderr).not.toContain(ontap.password);
  });

  it('discovers an ONTAP cluster: consistency groups as machines, LUNs as disks with their NAA ids', async () => {
    const run = await drkit(['discover', ontapUrl, '--thumbprint', ontap.thumbprint!, '--json'], {
      DRKIT_PASSWORD: ontap.password,
    });
    expect(run.code, run.stderr).toBe(0);
    const inv = JSON.parse(run.stdout) as Inventory;
    expect(inv.site).toMatchObject({ adapter: 'san', product: 'NetApp ONTAP', apiVersion: '9.13.1' });
    expect(inv.machines.map((m) => [m.name, m.disks.length]).sort()).toEqual([
      ['cg_db', 2],
      ['cg_web', 1],
    ]);
    expect(inv.warnings).toHaveLength(1);
  });

  it('discovers a FlashArray with an API token (never in the URL)', async () => {
    const host = new URL(pure.url).host;
    expect((await drkit(['discover', `pure://token@${host}`, '--insecure'])).code).toBe(2);
    const run = await drkit(['discover', `pure://${host}`, '--thumbprint', pure.thumbprint!, '--json'], {
      DRKIT_PASSWORD: pure.apiToken,
    });
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as Inventory).machines.map((m) => m.name).sort()).toEqual(['pg-esx', 'pg-sql']);
  });

  it('takes one write-order-consistent point across two consistency groups', async () => {
    const run = await drkit(
      ['snapshot', ontapUrl, '--thumbprint', ontap.thumbprint!, '--machine', 'cg_db', '--machine', 'cg_web', '--json'],
      { DRKIT_PASSWORD: ontap.password },
    );
    expect(run.code, run.stderr).toBe(0);
    const point = JSON.parse(run.stdout);
    expect(point.statement).toMatchObject({ requested: 'crash', achieved: 'crash', basis: 'shared-freeze' });
    expect(ontap.snapshotsOf('cg_db')).toEqual([point.tag]);
    expect(ontap.snapshotsOf('cg_web')).toEqual([point.tag]);
  });

  it('records a discovery with --record that --replay answers the same, with no secret in the fixture', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'drkit-san-rec-')), 'ontap');
    const live = await drkit(['discover', ontapUrl, '--thumbprint', ontap.thumbprint!, '--record', dir, '--json'], {
      DRKIT_PASSWORD: ontap.password,
    });
    expect(live.code, live.stderr).toBe(0);
    const replayed = await drkit(['discover', '--replay', dir, '--json']);
    expect(replayed.code, replayed.stderr).toBe(0);
    const key = (text: string) =>
      (JSON.parse(text) as Inventory).machines
        .map((m) => `${m.name}:${m.disks.map((d) => `${d.name}/${d.capacityBytes}/${d.wwn}`).join(',')}`)
        .sort();
    expect(key(replayed.stdout)).toEqual(key(live.stdout));
    const cassette = await readFile(join(dir, 'http.jsonl'), 'utf8');
    expect(cassette).not.toContain(ontap.password);
    expect(cassette).not.toContain(Buffer.from(`${ontap.username}:${ontap.password}`).toString('base64'));
  });

  it('resolves a server in a group config to the array consistency group under its LUNs, and snapshots both', async () => {
    // A file:// site stands in for the database server: its disks declare the LUN ids a
    // host would see for /vol/db_data/lun0 and /vol/db_log/lun0.
    const root = await mkdtemp(join(tmpdir(), 'drkit-san-group-'));
    await mkdir(join(root, 'site', 'db'), { recursive: true });
    const naa = (serial: string) => `naa.600a0980${Buffer.from(serial).toString('hex')}`;
    await writeFile(join(root, 'site', 'db', 'data.img'), Buffer.alloc(64 * 1024, 1));
    await writeFile(join(root, 'site', 'db', 'log.img'), Buffer.alloc(64 * 1024, 2));
    await writeFile(
      join(root, 'site', 'db', 'machine.json'),
      JSON.stringify({ name: 'db01', wwns: { data: naa('wCVovB3Ds7Lk'), log: naa('wCVovB3Ds7Ll') } }),
    );
    const config = join(root, 'group.json');
    await writeFile(
      config,
      JSON.stringify({
        members: [{ endpoint: `file://${join(root, 'site')}`, machine: 'db01' }],
        arrays: [{ endpoint: ontapUrl, thumbprint: ontap.thumbprint }],
      }),
    );
    const run = await drkit(['snapshot', '--group', config, '--consistency', 'app', '--json'], {
      DRKIT_PASSWORD: ontap.password,
    });
    expect(run.code, run.stderr).toBe(0);
    const point = JSON.parse(run.stdout);
    expect(point.members.map((m: { name: string; adapter: string }) => [m.name, m.adapter])).toEqual([
      ['db01', 'file'],
      ['cg_db (array group under db01)', 'san'],
    ]);
    // The array fenced and committed inside db01's freeze: its crash-only snapshot holds app-consistent data.
    expect(point.statement).toMatchObject({ requested: 'app', achieved: 'app' });
    expect(point.members[1]).toMatchObject({
      snapshot: { requested: 'app', achieved: 'app' },
      consistencyFrom: ['db01'],
    });
    expect(ontap.snapshotsOf('cg_db')).toContain(point.tag);
    expect(ontap.snapshotsOf('cg_web')).not.toContain(point.tag);
  });

  it("shows the array's own replication, and fails it over and back", async () => {
    const auth = ['--thumbprint', ontap.thumbprint!];
    const env = { DRKIT_PASSWORD: ontap.password };
    const text = await drkit(['links', ontapUrl, ...auth], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/svm1:\/cg\/cg_db → svm_dr:\/cg\/cg_db_dst\s+idle \(snapmirrored\)\s+healthy\s+912s/);
    const [link] = JSON.parse((await drkit(['links', ontapUrl, ...auth, '--json'], env)).stdout);
    const failed = JSON.parse((await drkit(['links', ontapUrl, ...auth, '--failover', link.id, '--json'], env)).stdout);
    expect(failed[0]).toMatchObject({ state: 'broken-off', healthy: false });
    const back = JSON.parse((await drkit(['links', ontapUrl, ...auth, '--resync', link.id, '--json'], env)).stdout);
    expect(back[0]).toMatchObject({ state: 'idle', rawState: 'snapmirrored' });
    expect((await drkit(['links', ontapUrl, ...auth, '--update', link.id, '--resync', link.id], env)).code).toBe(2);
    const notArray = await drkit(['links', '--replay', new URL('../recorded-site', import.meta.url).pathname]);
    expect(notArray.code).toBe(2);
    expect(notArray.stderr).toMatch(/declares no replication of its own/);
  });
});
