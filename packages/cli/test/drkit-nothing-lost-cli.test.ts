import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { PointManifest } from '@drkit/core';
import { drkit } from './run-drkit.js';

/** Findings of the "nothing lost" audit, as a user meets them: one line, the right exit code. */
let site: string;
let store: string;
beforeEach(async () => {
  site = await mkdtemp(join(tmpdir(), 'drkit-cli-site-'));
  store = `dir:${join(await mkdtemp(join(tmpdir(), 'drkit-cli-store-')), 's')}`;
  await mkdir(join(site, 'web'));
  await writeFile(join(site, 'web', 'os.img'), randomBytes(256 * 1024));
});

/** One line on stderr, `drkit: <reason> [<code>]`, and that exit code. */
function expectOneLine(run: { code: number; stderr: string }, exit: number, code: string, reason?: RegExp) {
  expect(run.code, run.stderr).toBe(exit);
  const lines = run.stderr.trim().split('\n');
  expect(lines.at(-1)).toMatch(new RegExp(`^drkit: .* \\[${code}\\]$`));
  if (reason) expect(lines.at(-1)).toMatch(reason);
  expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe('bad input is one line and exit 2, before anything is touched', () => {
  it('refuses file:// without a folder, and a relative file:// path', async () => {
    expectOneLine(await drkit(['discover', 'file://']), 2, 'bad-input', /no folder/);
    expectOneLine(await drkit(['discover', 'file://relative/site']), 2, 'bad-input', /relative path/);
  });

  it('refuses a missing, invalid, null or over-reaching group file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drkit-group-'));
    const write = async (name: string, text: string) => {
      await writeFile(join(dir, name), text);
      return join(dir, name);
    };
    const member = { endpoint: `file://${site}`, machine: 'web' };
    expectOneLine(await drkit(['snapshot', '--group', join(dir, 'none.json')]), 2, 'bad-input', /no such file/);
    expectOneLine(
      await drkit(['snapshot', '--group', await write('bad.json', '{ members: [')]),
      2,
      'bad-input',
      /not valid JSON/,
    );
    expectOneLine(
      await drkit(['snapshot', '--group', await write('null.json', 'null')]),
      2,
      'bad-input',
      /expected a JSON object/,
    );
    expectOneLine(
      await drkit([
        'snapshot',
        '--group',
        await write('bogus.json', JSON.stringify({ consistency: 'bogus', members: [member] })),
      ]),
      2,
      'bad-input',
      /consistency "bogus"/,
    );
    expectOneLine(
      await drkit([
        'snapshot',
        '--group',
        await write('budget.json', JSON.stringify({ freezeBudgetMs: -5, members: [member] })),
      ]),
      2,
      'bad-input',
      /freezeBudgetMs -5/,
    );
    const hook = await write(
      'hook.json',
      JSON.stringify({ members: [{ ...member, preHook: 'touch /tmp/owned', record: '/tmp/x' }] }),
    );
    expectOneLine(await drkit(['snapshot', '--group', hook]), 2, 'bad-input', /"preHook" cannot be set per member/);
  });

  it('refuses port 0, a bad option value (one line, not the whole help), and the same machine twice', async () => {
    expectOneLine(await drkit(['discover', 'vsphere://u@h:0']), 2, 'bad-input', /port 0/);
    const badRate = await drkit(['replicate', `file://${site}`, '--target', store, '--max-rate', 'fast']);
    expect(badRate.code).toBe(2);
    expect(badRate.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    expect(badRate.stderr).not.toMatch(/Options:/);
    expectOneLine(
      await drkit(['replicate', `file://${site}`, '--machine', 'web', '--machine', 'web', '--target', store]),
      2,
      'bad-input',
      /twice/,
    );
    expect(await readdir(store.slice(4)).catch(() => [])).toEqual([]);
  });

  it('refuses --out on a file, a link, or a folder that is not empty (unless --force), and never writes through a link', async () => {
    expect((await drkit(['replicate', `file://${site}`, '--target', store])).code).toBe(0);
    const out = await mkdtemp(join(tmpdir(), 'drkit-out-'));
    await writeFile(join(out, 'file'), 'x');
    expectOneLine(await drkit(['restore', store, 'latest-no', '--out', join(out, 'file')]), 1, 'not-found');
    const [point] = JSON.parse((await drkit(['points', store, '--json'])).stdout) as PointManifest[];
    expectOneLine(
      await drkit(['restore', store, point!.id, '--out', join(out, 'file')]),
      2,
      'bad-input',
      /not a folder/,
    );
    expectOneLine(await drkit(['restore', store, point!.id, '--out', out]), 2, 'bad-input', /not empty/);
    const link = join(tmpdir(), `drkit-link-${process.pid}-${Date.now()}`);
    await symlink(out, link);
    expectOneLine(await drkit(['restore', store, point!.id, '--out', link]), 2, 'bad-input', /symbolic link/);
    // A link planted where an image goes is replaced, its target left alone.
    const victim = join(out, 'victim');
    await writeFile(victim, 'keep me');
    await mkdir(join(out, 'web'));
    await symlink(victim, join(out, 'web', 'os.img'));
    expect((await drkit(['restore', store, point!.id, '--out', out, '--force'])).code).toBe(0);
    expect(await readFile(victim, 'utf8')).toBe('keep me');
    expect((await readFile(join(out, 'web', 'os.img'))).equals(await readFile(join(site, 'web', 'os.img')))).toBe(true);
  });
});

describe('a damaged store is exit 6, never a stack trace or zeros called verified', () => {
  it('a truncated replica fails verify and restore; a deleted one too; verify takes an id prefix', async () => {
    expect((await drkit(['replicate', `file://${site}`, '--target', store])).code).toBe(0);
    const [point] = JSON.parse((await drkit(['points', store, '--json'])).stdout) as PointManifest[];
    expect((await drkit(['verify', store, point!.id.slice(0, 6)])).code).toBe(0);
    const replica = join(store.slice(4), 'disks', point!.members[0]!.disks[0]!.key, 'replica.img');
    await truncate(replica, 128 * 1024);
    expectOneLine(await drkit(['verify', store, point!.id.slice(0, 6)]), 6, 'integrity');
    const out = await mkdtemp(join(tmpdir(), 'drkit-out-'));
    expectOneLine(
      await drkit(['restore', store, point!.id, '--out', out]),
      6,
      'integrity',
      /replica\.img holds 131072 bytes/,
    );
    expect(await readdir(out)).toEqual([]);
    await rm(replica);
    expectOneLine(await drkit(['restore', store, point!.id, '--out', out]), 6, 'integrity', /missing/);
    // replicate refuses to build on it; a resync heals.
    expectOneLine(await drkit(['replicate', `file://${site}`, '--target', store]), 6, 'integrity', /--resync/);
    expect((await drkit(['replicate', `file://${site}`, '--target', store, '--resync'])).code).toBe(0);
    expect((await drkit(['verify', store])).stdout).toMatch(/ok$/m);
  });
});

describe('damaged input files', () => {
  it('a corrupt fixture is one line with a code, never a stack trace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drkit-fixture-'));
    await writeFile(join(dir, 'manifest.json'), '{"adapter": "vsphere", ');
    const run = await drkit(['discover', '--replay', dir]);
    expect(run.code).not.toBe(0);
    expectOneLine(run, run.code, '[a-z-]+');
  });
});

const root = process.getuid?.() === 0;
describe.skipIf(!root)('a full store file system (root: mounts a tmpfs)', () => {
  it('is exit 7 with one line, and the store keeps its points', async () => {
    const { execFileSync } = await import('node:child_process');
    const mount = await mkdtemp(join(tmpdir(), 'drkit-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mount]);
    try {
      const small = `dir:${join(mount, 's')}`;
      expect((await drkit(['replicate', `file://${site}`, '--target', small])).code).toBe(0);
      await writeFile(join(site, 'web', 'os.img'), randomBytes(8 * 1024 * 1024));
      const full = await drkit(['replicate', `file://${site}`, '--target', small]);
      expectOneLine(full, 7, 'no-space', /space/);
      expect((await drkit(['verify', small])).code).toBe(0);
    } finally {
      execFileSync('umount', ['-l', mount]);
    }
  });
});

describe('names from a host', () => {
  it('disks with non-Latin names restore to distinct files; a newline in a machine name never breaks a line', async () => {
    await mkdir(join(site, 'db'));
    for (const d of ['α', 'β', 'диск', 'дата']) await writeFile(join(site, 'db', `${d}.img`), randomBytes(8192));
    await mkdir(join(site, 'evil\nname'));
    await writeFile(join(site, 'evil\nname', 'os.img'), randomBytes(8192));
    const listed = await drkit(['discover', `file://${site}`]);
    expect(listed.stdout).toContain('evil\\nname');
    expect(listed.stdout.split('\n').some((l) => l.startsWith('name'))).toBe(false);
    expect((await drkit(['replicate', `file://${site}`, '--target', store])).code).toBe(0);
    const [point] = JSON.parse((await drkit(['points', store, '--json'])).stdout) as PointManifest[];
    const out = await mkdtemp(join(tmpdir(), 'drkit-out-'));
    const restored = await drkit(['restore', store, point!.id, '--out', out, '--json']);
    expect(restored.code).toBe(0);
    expect((await readdir(join(out, 'db'))).sort()).toEqual(['α.img', 'β.img', 'дата.img', 'диск.img'].sort());
    for (const d of ['α', 'β', 'диск', 'дата'])
      expect((await readFile(join(out, 'db', `${d}.img`))).equals(await readFile(join(site, 'db', `${d}.img`)))).toBe(
        true,
      );
  });
});

describe('interrupted', () => {
  it('Ctrl-C during a replication exits 130 with its own line, and the next run resumes into a point that verifies', async () => {
    await writeFile(join(site, 'web', 'os.img'), randomBytes(32 * 1024 * 1024));
    const bin = new URL('../bin/drkit.js', import.meta.url).pathname;
    const child = spawn(
      process.execPath,
      [bin, 'replicate', `file://${site}`, '--target', store, '--max-rate', String(4 * 1024 * 1024)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    await new Promise<void>((resolve) => {
      const check = () => (/read \d/.test(stderr) ? resolve() : setTimeout(check, 50));
      check();
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(130);
    expect(stderr.trim().split('\n').at(-1)).toMatch(/^drkit: interrupted by Ctrl-C \[aborted\]$/);
    const next = await drkit(['replicate', `file://${site}`, '--target', store]);
    expect(next.code, next.stderr).toBe(0);
    expect((await drkit(['verify', store])).code).toBe(0);
  });
});
