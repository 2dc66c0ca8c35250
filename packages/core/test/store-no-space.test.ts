import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DrkitError, createReferenceAdapter, openDirStore, replicateGroup, writeTracked } from '../src/index.js';
import { makeSite } from './reference-site-helper.js';

const MiB = 1024 * 1024;

/** Rewrites `fraction` of a disk's 4 KiB blocks through the reference site's change log. */
async function rewrite(site: string, machine: string, disk: string, size: number, fraction: number): Promise<void> {
  const blocks = size / 4096;
  const writes = [];
  for (let b = 0; b < blocks * fraction; b++) writes.push({ offset: b * 4096, data: randomBytes(4096) });
  await writeTracked(join(site, machine), disk, writes);
}

async function replicate(site: string, storeDir: string, resync = false) {
  const adapter = createReferenceAdapter({ root: site });
  await adapter.connect();
  const store = await openDirStore(storeDir);
  try {
    return await replicateGroup({
      members: [{ adapter, machineId: 'vm', name: 'vm' }],
      consistency: 'crash',
      store,
      resync,
    });
  } finally {
    await store.close();
  }
}

async function restoreAndVerify(storeDir: string, pointId: string): Promise<{ ok: boolean; image: Buffer }> {
  const store = await openDirStore(storeDir);
  try {
    const [verdict] = await store.verify(pointId);
    const out = await mkdtemp(join(tmpdir(), 'drkit-restore-'));
    const result = await store.restore(pointId, out);
    return { ok: verdict!.ok, image: await readFile(result.files[0]!.path) };
  } finally {
    await store.close();
  }
}

/** The path behind a file descriptor of this process (Linux). */
const pathOf = (fd: number) => {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return '';
  }
};

describe('a store that runs out of space keeps every committed point', () => {
  afterEach(() => vi.restoreAllMocks());

  it('an undo-journal write cut short and then refused (ENOSPC) fails the run before any replica block changes', async () => {
    const site = await makeSite({ vm: { disks: { os: 4 * MiB } } });
    const storeDir = await mkdtemp(join(tmpdir(), 'drkit-store-'));
    const first = (await replicate(site, storeDir)).point;
    const before = await readFile(join(site, 'vm', 'os.img'));
    await rewrite(site, 'vm', 'os', 4 * MiB, 0.7);

    // A filling file system: the journal's write lands half, the next call fails.
    const probe = await open(join(storeDir, 'store.json'), 'r');
    const proto = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<{ bytesWritten: number }> };
    await probe.close();
    const real = proto.write;
    let cut = 0;
    vi.spyOn(proto, 'write').mockImplementation(async function (this: { fd: number }, ...args: unknown[]) {
      if (pathOf(this.fd).endsWith('.undo') && (args[0] as Buffer).length > 64 * 1024) {
        if (cut++ === 0) return real.call(this, args[0], args[1], Math.floor((args[2] as number) / 2), args[3]);
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      return real.apply(this, args);
    });
    const failed = await replicate(site, storeDir).catch((e: unknown) => e);
    vi.restoreAllMocks();
    expect(DrkitError.isInstance(failed) && failed.code).toBe('no-space');
    expect(cut).toBeGreaterThan(1);

    const { ok, image } = await restoreAndVerify(storeDir, first.id);
    expect(ok).toBe(true);
    expect(image.equals(before)).toBe(true);
    // And the store goes on: the next run (space back) makes a point that restores.
    const next = (await replicate(site, storeDir)).point;
    expect((await restoreAndVerify(storeDir, next.id)).image.equals(await readFile(join(site, 'vm', 'os.img')))).toBe(
      true,
    );
  });

  const root = process.getuid?.() === 0;
  it.skipIf(!root)(
    'a thin disk bigger than the free space makes its first point: only its data lands (needs root to mount)',
    async () => {
      const site = await makeSite({ vm: { disks: { os: 64 * MiB } } });
      const mount = await mkdtemp(join(tmpdir(), 'drkit-tmpfs-'));
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mount]);
      try {
        // 64 MiB of zeros but for 2 MiB of data.
        await writeFile(join(site, 'vm', 'os.img'), Buffer.alloc(64 * MiB));
        await rewrite(site, 'vm', 'os', 64 * MiB, 1 / 32);
        const { point } = await replicate(site, join(mount, 'store'));
        expect(point.members[0]!.disks[0]!.bytesWritten).toBe(2 * MiB);
        const { ok, image } = await restoreAndVerify(join(mount, 'store'), point.id);
        expect(ok).toBe(true);
        expect(image.equals(await readFile(join(site, 'vm', 'os.img')))).toBe(true);
      } finally {
        execFileSync('umount', ['-l', mount]);
        await rm(mount, { recursive: true, force: true });
      }
    },
  );

  it.skipIf(!root)(
    'on a 40 MiB tmpfs: a delta too big for the space left is refused up front, a resync that runs out mid-way is undone (needs root to mount)',
    async () => {
      const site = await makeSite({ vm: { disks: { os: 24 * MiB } } });
      const mount = await mkdtemp(join(tmpdir(), 'drkit-tmpfs-'));
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=40m', 'tmpfs', mount]);
      try {
        const storeDir = join(mount, 'store');
        await mkdir(storeDir);
        // Fill the source disk so the replica takes its full 24 MiB.
        await rewrite(site, 'vm', 'os', 24 * MiB, 1);
        const first = (await replicate(site, storeDir)).point;
        const before = await readFile(join(site, 'vm', 'os.img'));
        await rewrite(site, 'vm', 'os', 24 * MiB, 0.7);

        const refused = await replicate(site, storeDir).catch((e: unknown) => e);
        expect(DrkitError.isInstance(refused) && refused.code).toBe('no-space');
        expect((refused as DrkitError).message).toMatch(/needs about [\d.]+ MiB .* MiB is free/);
        expect((await restoreAndVerify(storeDir, first.id)).image.equals(before)).toBe(true);

        // A resync cannot know its size up front: it runs until the file system is full.
        const ranOut = await replicate(site, storeDir, true).catch((e: unknown) => e);
        expect(DrkitError.isInstance(ranOut) && ranOut.code).toBe('no-space');
        const after = await restoreAndVerify(storeDir, first.id);
        expect(after.ok).toBe(true);
        expect(after.image.equals(before)).toBe(true);
      } finally {
        execFileSync('umount', ['-l', mount]);
        await rm(mount, { recursive: true, force: true });
      }
    },
  );
});
