import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const PACKAGES = ['packages', 'adapters'];

/**
 * drkit as a user installs it: every package packed (pnpm pack: workspace versions
 * resolved, only `files`), installed with npm into a folder outside the workspace, and used
 * from plain node — no TypeScript, no loader, no path into this checkout. (Third-party
 * dependencies come from the npm registry or npm's cache; --ignore-scripts skips ssh2's
 * optional native build, which ssh2 does without.)
 */
let installed: string;

describe.sequential('packed and installed outside the workspace', () => {
  let dir: string;
  let names: string[];
  beforeAll(async () => {
    const tarballs = await mkdtemp(join(tmpdir(), 'drkit-tarballs-'));
    names = [];
    for (const group of PACKAGES) {
      for (const pkg of await readdir(join(ROOT, group))) {
        const cwd = join(ROOT, group, pkg);
        const { stdout } = await run('pnpm', ['pack', '--pack-destination', tarballs], { cwd });
        expect(stdout).toMatch(/\.tgz/);
        names.push((JSON.parse(await readFile(join(cwd, 'package.json'), 'utf8')) as { name: string }).name);
      }
    }
    dir = installed = await mkdtemp(join(tmpdir(), 'drkit-installed-'));
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'embedder', private: true, type: 'module' }));
    const files = (await readdir(tarballs)).map((f) => join(tarballs, f));
    await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...files, 'vitest@^3.2.4'],
      { cwd: dir, maxBuffer: 1 << 24 },
    );
  }, 600_000);

  it('ships built JavaScript and declarations, and no sources or tests', async () => {
    for (const name of names) {
      const manifest = JSON.parse(await readFile(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as {
        exports: unknown;
        dependencies?: Record<string, string>;
      };
      expect(JSON.stringify(manifest.exports), name).not.toMatch(/src|development/);
      expect(
        Object.values(manifest.dependencies ?? {}).filter((v) => v.startsWith('workspace:')),
        name,
      ).toEqual([]);
      const files = await listFiles(join(dir, 'node_modules', name));
      expect(files, name).toContain('dist/index.js');
      expect(files, name).toContain('dist/index.d.ts');
      expect(
        files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
        name,
      ).toEqual([]);
      expect(
        files.filter((f) => /\.test\./.test(f)),
        name,
      ).toEqual([]);
    }
  });

  it('imports every package from plain node and runs the reference adapter end to end', async () => {
    // The contract kit is a test suite: it is imported inside vitest, below.
    const plain = names.filter((n) => n !== '@drkit/contract');
    // Run from inside that folder: its imports must resolve there, never to this checkout.
    await copyFile(join(ROOT, 'test/e2e/packaging/embed-check.mjs'), join(dir, 'embed-check.mjs'));
    const { stdout } = await run(process.execPath, [join(dir, 'embed-check.mjs'), ...plain], { cwd: dir });
    expect(JSON.parse(stdout)).toEqual({ imported: plain.length, mode: 'initial', verified: true, same: true });
  }, 120_000);

  it("passes the contract kit there, with that folder's own vitest — the reference adapter and one defined outside the workspace", async () => {
    for (const f of ['contract-outside.test.mjs', 'tiny-adapter.mjs', 'tiny-contract.test.mjs'])
      await copyFile(join(ROOT, 'test/e2e/packaging', f), join(dir, f));
    const { stdout } = await run(join(dir, 'node_modules', '.bin', 'vitest'), ['run', '--root', dir], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', DRKIT_TEST_REPORT: '' },
    });
    expect(stdout).toMatch(/Test Files\s+2 passed/);
    expect(stdout).toMatch(/Tests\s+\d+ passed/);
    expect(stdout).not.toMatch(/failed/);
  }, 180_000);

  it('runs the installed drkit binary: --help, and discovery of the recorded site it ships', async () => {
    const bin = join(dir, 'node_modules', '.bin', 'drkit');
    const help = await run(bin, ['--help'], { cwd: dir });
    expect(help.stdout).toMatch(/discover/);
    const discovered = await run(bin, ['discover', '--json'], { cwd: dir });
    expect(JSON.parse(discovered.stdout).machines).toHaveLength(9);
    expect(discovered.stderr).toContain(join('node_modules', '@drkit', 'cli', 'recorded-site'));
    const replayed = await run(bin, ['discover', '--replay', join(dir, 'node_modules/@drkit/cli/recorded-site')], {
      cwd: dir,
    });
    expect(replayed.stdout).toMatch(/9 machines/);
  }, 120_000);
});

async function listFiles(root: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') out.push(...(await listFiles(root, rel)));
    } else out.push(rel);
  }
  return out;
}

describe.sequential('an adapter from outside the workspace, registered with --adapter', () => {
  it('is listed in the help, discovers, replicates and restores through the installed drkit', async () => {
    const dir = installed;
    await copyFile(join(ROOT, 'test/e2e/packaging/tiny-adapter.mjs'), join(dir, 'tiny-adapter.mjs'));
    const bin = join(dir, 'node_modules', '.bin', 'drkit');
    const site = await mkdtemp(join(tmpdir(), 'drkit-tiny-site-'));
    await mkdir(join(site, 'web'));
    await writeFile(join(site, 'web', 'os.img'), Buffer.alloc(1 << 20, 7));
    const help = await run(bin, ['--adapter', './tiny-adapter.mjs', 'discover', '--help'], { cwd: dir });
    expect(help.stdout).toContain('tiny:///folder');
    const found = await run(bin, ['--adapter', './tiny-adapter.mjs', 'discover', `tiny://${site}`, '--json'], {
      cwd: dir,
    });
    expect(JSON.parse(found.stdout).machines.map((m: { name: string }) => m.name)).toEqual(['web']);
    const store = join(await mkdtemp(join(tmpdir(), 'drkit-tiny-store-')), 's');
    const replicated = await run(bin, ['replicate', `tiny://${site}`, '--target', `dir:${store}`, '--json'], {
      cwd: dir,
      env: { ...process.env, DRKIT_ADAPTERS: './tiny-adapter.mjs' },
    });
    const point = JSON.parse(replicated.stdout) as { id: string; members: Array<{ adapter: string }> };
    expect(point.members[0]!.adapter).toBe('tiny');
    const out = await mkdtemp(join(tmpdir(), 'drkit-tiny-out-'));
    await run(bin, ['restore', `dir:${store}`, point.id, '--out', out], { cwd: dir });
    expect((await readFile(join(out, 'web', 'os.img'))).equals(Buffer.alloc(1 << 20, 7))).toBe(true);
    const unknown = await run(bin, ['--adapter', './missing.mjs', 'discover', 'tiny:///x'], { cwd: dir }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((unknown as { code: number }).code).toBe(2);
    expect((unknown as { stderr: string }).stderr).toMatch(
      /^drkit: --adapter \.\/missing\.mjs: cannot load it .*\[bad-input\]$/m,
    );
  }, 120_000);
});
