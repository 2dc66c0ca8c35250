import { execFileSync } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createReferenceAdapter, openDirStore, replicateGroup } from '../src/index.js';
import { uniqueNames } from '../src/store/restore-output.js';
import { makeSite } from './reference-site-helper.js';
import { hasQemuImg } from '../../../test/harness/qemu-img.js';

describe('restore output names', () => {
  it('keep letters of every script, and add a short id only where names collide', () => {
    expect(
      uniqueNames([
        { name: 'α', id: '1' },
        { name: 'диск', id: '2' },
        { name: 'Hard disk 1', id: '3' },
      ]),
    ).toEqual(['α', 'диск', 'Hard_disk_1']);
    const same = uniqueNames([
      { name: 'db01', id: 'vm-1' },
      { name: 'db01', id: 'vm-2' },
      { name: '../etc', id: 'vm-3' },
    ]);
    expect(new Set(same).size).toBe(3);
    expect(same[0]).toMatch(/^db01-[0-9a-f]{8}$/);
    expect(same[2]).toBe('__etc');
    expect(
      new Set(
        uniqueNames([
          { name: 'x', id: 'a' },
          { name: 'x', id: 'a' },
        ]),
      ).size,
    ).toBe(2);
  });

  it('two machines with the same display name restore to two folders, each byte-identical', async () => {
    const site = await makeSite({
      a: { disks: { os: 64 * 1024 }, config: { name: 'db01' } },
      b: { disks: { os: 64 * 1024 }, config: { name: 'db01' } },
    });
    const adapter = createReferenceAdapter({ root: site });
    await adapter.connect();
    const store = await openDirStore(await mkdtemp(join(tmpdir(), 'drkit-store-')));
    const { point } = await replicateGroup({
      members: ['a', 'b'].map((machineId) => ({ adapter, machineId, name: 'db01' })),
      consistency: 'crash',
      store,
    });
    const out = await mkdtemp(join(tmpdir(), 'drkit-out-'));
    const result = await store.restore(point.id, out);
    await store.close();
    expect(new Set(result.files.map((f) => f.path)).size).toBe(2);
    expect(await readdir(out)).toHaveLength(2);
    for (const [i, m] of ['a', 'b'].entries())
      expect((await readFile(result.files[i]!.path)).equals(await readFile(join(site, m, 'os.img')))).toBe(true);
  });
});

describe('replicas are keyed by site', () => {
  it('the same machine and disk names on two sites are two replicas, each with its own first copy', async () => {
    const one = await makeSite({ web: { disks: { os: 64 * 1024 } } });
    const two = await makeSite({ web: { disks: { os: 64 * 1024 } } });
    const store = await openDirStore(await mkdtemp(join(tmpdir(), 'drkit-store-')));
    const modes = [];
    for (const site of [one, two]) {
      const adapter = createReferenceAdapter({ root: site });
      await adapter.connect();
      const { point } = await replicateGroup({
        members: [{ adapter, machineId: 'web', name: 'web' }],
        consistency: 'crash',
        store,
      });
      modes.push(point.members[0]!.disks[0]!);
    }
    await store.close();
    expect(modes[0]!.key).not.toBe(modes[1]!.key);
    expect(modes.map((d) => d.mode)).toEqual(['initial', 'initial']);
  });
});

describe('snapshots of a killed run', () => {
  it('are found and removed when the site is next opened; kept snapshots stay', async () => {
    const site = await makeSite({ vm: { disks: { os: 16 * 1024 * 1024 } } });
    const adapter = createReferenceAdapter({ root: site });
    await adapter.connect();
    const kept = await adapter.snapshots.take(
      await adapter.snapshots.prepare({ machineId: 'vm', consistency: 'crash', tag: 'drkit-kept' }),
    );
    // A run in another process, killed while its snapshot exists.
    const script = join(await mkdtemp(join(tmpdir(), 'drkit-run-')), 'run.mts');
    const core = new URL('../src/index.js', import.meta.url).pathname.replace(/\.js$/, '.ts');
    await writeFile(
      script,
      `import { createReferenceAdapter } from ${JSON.stringify(core)};
const a = createReferenceAdapter({ root: ${JSON.stringify(site)} });
await a.connect();
await a.snapshots.take(await a.snapshots.prepare({ machineId: 'vm', consistency: 'crash', tag: 'drkit-run', lifetime: 'run' }));
process.stdout.write('taken\\n');
await new Promise((r) => setTimeout(r, 60_000));
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    expect(await readdir(join(site, '.drkit-snapshots'))).toHaveLength(2);
    const fresh = createReferenceAdapter({ root: site });
    await fresh.connect(); // the run is alive: its snapshot stays
    expect(await readdir(join(site, '.drkit-snapshots'))).toHaveLength(2);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await createReferenceAdapter({ root: site }).connect();
    expect(await readdir(join(site, '.drkit-snapshots'))).toEqual([kept.id]);
  }, 60_000);
});

describe('restore --format', () => {
  it.skipIf(!hasQemuImg)(
    'writes vhd (drkit), vhdx, vmdk and qcow2 (qemu-img) that qemu-img compares equal to the raw point',
    async () => {
      const site = await makeSite({ web: { disks: { os: 3 * 1024 * 1024 + 512 * 3 } } });
      const adapter = createReferenceAdapter({ root: site });
      await adapter.connect();
      const store = await openDirStore(await mkdtemp(join(tmpdir(), 'drkit-store-')));
      try {
        const { point } = await replicateGroup({
          members: [{ adapter, machineId: 'web', name: 'web' }],
          consistency: 'crash',
          store,
        });
        const raw = join(site, 'web', 'os.img');
        for (const [format, probe] of [
          ['vhd', 'vpc'],
          ['vhdx', 'vhdx'],
          ['vmdk', 'vmdk'],
          ['qcow2', 'qcow2'],
        ] as const) {
          const out = await mkdtemp(join(tmpdir(), `drkit-out-${format}-`));
          const result = await store.restore(point.id, out, { format, durable: false });
          const file = result.files[0]!.path;
          expect(file.endsWith(`os.${format}`)).toBe(true);
          expect(await readdir(join(out, 'web'))).toEqual([`os.${format}`]); // no raw or temporary file left
          const info = JSON.parse(
            execFileSync('qemu-img', ['info', '-f', probe, '--output=json', file], { encoding: 'utf8' }),
          );
          expect(info.format).toBe(probe);
          // `compare` exits 0 only when the guest-visible contents are identical.
          execFileSync('qemu-img', ['compare', '-f', probe, '-F', 'raw', file, raw]);
        }
      } finally {
        await store.close();
      }
    },
  );

  it('refuses a format it does not write, before anything is written', async () => {
    const site = await makeSite({ web: { disks: { os: 64 * 1024 } } });
    const adapter = createReferenceAdapter({ root: site });
    await adapter.connect();
    const store = await openDirStore(await mkdtemp(join(tmpdir(), 'drkit-store-')));
    try {
      const { point } = await replicateGroup({
        members: [{ adapter, machineId: 'web', name: 'web' }],
        consistency: 'crash',
        store,
      });
      const out = await mkdtemp(join(tmpdir(), 'drkit-out-'));
      // A caller outside TypeScript may pass anything: the CLI checks it, and so does the store's output.
      await expect(store.restore(point.id, out, { format: 'vdi' as never })).rejects.toThrow(/format/);
      expect(await readdir(out)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
