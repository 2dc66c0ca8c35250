import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inventorySchemaV1, type Inventory } from '@drkit/core';
import { drkit as run } from './run-drkit.js';
import { startVcsim, type Vcsim } from '../../../test/harness/vcsim.js';

let sim: Vcsim;
beforeAll(async () => {
  sim = await startVcsim({ clusters: 1, hostsPerCluster: 2, standaloneHosts: 1, vmsPerPool: 4, pageCap: 5 });
});
afterAll(() => sim?.stop());

// Prompts must never wait on a terminal here: no password unless a test gives one.
const drkit = (args: string[], env: Record<string, string> = {}) => run(args, { DRKIT_PASSWORD: '', ...env });

const endpoint = () => `vsphere://${sim.username}@127.0.0.1:${sim.port}`;

describe('drkit discover', () => {
  it('with no endpoint, replays the embedded recorded site and prints a readable table', async () => {
    const run = await drkit(['discover']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/replaying the recorded site .*packages\/cli\/recorded-site/);
    expect(run.stdout).toMatch(/^inventory 9 machines, 5 hosts, 2 clusters, 2 datastores/m);
    expect(run.stdout).toMatch(/^MACHINE\s+POWER\s+OS/m);
    expect(run.stdout.match(/^DC0_\S+_VM\d/gm)).toHaveLength(9);
  });

  it('with --json, prints only schema-valid JSON on stdout', async () => {
    const run = await drkit(['discover', '--replay', 'packages/cli/recorded-site', '--json']);
    expect(run.code).toBe(0);
    const inventory = JSON.parse(run.stdout) as Inventory;
    const validate = new Ajv2020({ strict: false }).compile(inventorySchemaV1);
    expect(validate(inventory), JSON.stringify(validate.errors)).toBe(true);
    expect(inventory.schemaVersion).toBe(1);
    expect(inventory.machines).toHaveLength(9);
  });

  it('discovers a live simulator with a pinned thumbprint and the password from DRKIT_PASSWORD', async () => {
    const run = await drkit(['discover', endpoint(), '--thumbprint', sim.thumbprint, '--json'], {
      DRKIT_PASSWORD: sim.password,
    });
    expect(run.code).toBe(0);
    const inventory = JSON.parse(run.stdout) as Inventory;
    expect(inventory.machines).toHaveLength(sim.machines);
    expect(run.stdout + run.stderr).not.toContain(sim.password);
  });

  it('reads the password from --password-file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drkit-pw-'));
    const file = join(dir, 'pw');
    await import('node:fs/promises').then((fs) => fs.writeFile(file, `${sim.password}\n`, { mode: 0o600 }));
    const run = await drkit(['discover', endpoint(), '--thumbprint', sim.thumbprint, '--password-file', file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^inventory ${sim.machines} machines`, 'm'));
  });

  it.each([
    [
      'a wrong password',
      () => ['discover', endpoint(), '--thumbprint', sim.thumbprint],
      () => ({ DRKIT_PASSWORD: 'not-the-password' }),
      3,
      /login refused \(InvalidLogin\)/,
    ],
    [
      'an unpinned self-signed certificate',
      () => ['discover', endpoint()],
      () => ({ DRKIT_PASSWORD: sim.password }),
      4,
      /certificate not trusted .*--thumbprint/,
    ],
    [
      'a thumbprint that does not match',
      () => ['discover', endpoint(), '--thumbprint', '00'.repeat(32)],
      () => ({ DRKIT_PASSWORD: sim.password }),
      4,
      /does not match the pinned one/,
    ],
    [
      'an unreachable endpoint',
      () => ['discover', 'vsphere://u@127.0.0.1:1', '--insecure'],
      () => ({ DRKIT_PASSWORD: 'x' }),
      5,
      /unreachable \(ECONNREFUSED\)/,
    ],
    [
      'a password in the URL',
      () => ['discover', 'vsphere://u:pw@127.0.0.1:1'],
      () => ({}),
      2,
      /no password in the endpoint URL/,
    ],
    ['an unknown scheme', () => ['discover', 'ftp://u@h'], () => ({}), 2, /unknown endpoint scheme ftp/],
    [
      'no password at all and no terminal',
      () => ['discover', endpoint(), '--thumbprint', sim.thumbprint],
      () => ({}),
      2,
      /no password/,
    ],
  ])('exits non-zero with a one-line reason for %s', async (_what, args, env, code, reason) => {
    const run = await drkit(args(), env());
    expect(run.code).toBe(code);
    expect(run.stdout).toBe('');
    const lines = run.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.includes('WARNING'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(reason);
  });

  it('warns on stderr when --insecure is used, and still works', async () => {
    const run = await drkit(['discover', endpoint(), '--insecure'], { DRKIT_PASSWORD: sim.password });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/WARNING: --insecure/);
  });

  it('replays a recorded physical Linux host', async () => {
    const run = await drkit(['discover', '--replay', 'fixtures/physical/linux-host', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const inv = JSON.parse(run.stdout);
    expect(inv.machines).toHaveLength(1);
    expect(inv.machines[0].os.family).toBe('linux');
    expect(inv.machines[0].disks.map((d: { provisioning: string }) => d.provisioning)).toEqual([
      'snapshot:btrfs',
      'snapshot:btrfs',
    ]);
  });

  it('records a session with --record that replays to the same inventory, without the password', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'drkit-rec-')), 'site');
    const live = await drkit(['discover', endpoint(), '--thumbprint', sim.thumbprint, '--record', dir, '--json'], {
      DRKIT_PASSWORD: sim.password,
    });
    expect(live.code).toBe(0);
    const cassette = await readFile(join(dir, 'http.jsonl'), 'utf8');
    expect(cassette).not.toContain(sim.password);
    const replay = await drkit(['discover', '--replay', dir, '--json']);
    expect(replay.code).toBe(0);
    const ids = (s: string) => (JSON.parse(s) as Inventory).machines.map((m) => m.id).sort();
    expect(ids(replay.stdout)).toEqual(ids(live.stdout));
  });
});

describe('drkit schema', () => {
  it('prints the inventory JSON Schema, version 1', async () => {
    const run = await drkit(['schema']);
    expect(JSON.parse(run.stdout)).toMatchObject({ properties: { schemaVersion: { const: 1 } } });
  });
});
