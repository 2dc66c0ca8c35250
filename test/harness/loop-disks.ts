import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const sh = async (cmd: string, ...args: string[]) => (await run(cmd, args, { maxBuffer: 1 << 20 })).stdout.trim();

/**
 * Real disks for the physical adapter, as root: a btrfs "pool" on a loop device holds a
 * subvolume of disk images; each image is a loop device with a real filesystem mounted
 * (xfs and btrfs), which app-consistent points freeze. Snapshots of the subvolume are real
 * btrfs snapshots; the kernel here has no device-mapper, so LVM is not among them.
 */
export interface LoopDisks {
  dir: string;
  /** The disks under protection. */
  disks: Array<{ device: string; image: string; mountpoint: string; fstype: 'xfs' | 'btrfs'; sizeBytes: number }>;
  teardown(): Promise<void>;
}

export function loopDisksAvailable(): boolean {
  return (
    process.getuid?.() === 0 &&
    existsSync('/dev/loop-control') &&
    existsSync('/sbin/mkfs.btrfs') &&
    existsSync('/sbin/mkfs.xfs')
  );
}

/**
 * Where the disk images live, which decides the snapshot mechanism drkit finds:
 * 'btrfs-subvolume' (default) a btrfs subvolume → btrfs snapshots; 'btrfs-top' a plain
 * folder of a btrfs file system (its top-level subvolume); 'xfs' a folder on XFS with
 * reflink → `cp --reflink` clones.
 */
export type ImagePool = 'btrfs-subvolume' | 'btrfs-top' | 'xfs';

export async function createLoopDisks(
  options: { xfsMiB?: number; btrfsMiB?: number; pool?: ImagePool } = {},
): Promise<LoopDisks> {
  const dir = await mkdtemp(join(tmpdir(), 'drkit-loop-'));
  const loops: string[] = [];
  const mounts: string[] = [];
  const teardown = async () => {
    for (const m of mounts.reverse()) await sh('umount', '-l', m).catch(() => {});
    for (const l of loops.reverse()) await sh('losetup', '-d', l).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const attach = async (file: string) => {
      const dev = await sh('losetup', '-f', '--show', file);
      loops.push(dev);
      return dev;
    };
    const mount = async (dev: string, at: string) => {
      await mkdir(at, { recursive: true });
      await sh('mount', dev, at);
      mounts.push(at);
    };
    const pool = options.pool ?? 'btrfs-subvolume';
    await sh('truncate', '-s', '2G', join(dir, 'pool.img'));
    if (pool === 'xfs') await sh('mkfs.xfs', '-q', '-m', 'reflink=1', join(dir, 'pool.img'));
    else await sh('mkfs.btrfs', '-q', join(dir, 'pool.img'));
    await mount(await attach(join(dir, 'pool.img')), join(dir, 'pool'));
    if (pool === 'btrfs-subvolume') await sh('btrfs', 'subvolume', 'create', join(dir, 'pool', 'disks'));
    else await mkdir(join(dir, 'pool', 'disks'));
    const disks: LoopDisks['disks'] = [];
    for (const [fstype, mib] of [
      ['xfs', options.xfsMiB ?? 320],
      ['btrfs', options.btrfsMiB ?? 128],
    ] as const) {
      const image = join(dir, 'pool', 'disks', `data-${fstype}.img`);
      await sh('truncate', '-s', `${mib}M`, image);
      const device = await attach(image);
      await sh(`mkfs.${fstype}`, '-q', device);
      const mountpoint = join(dir, `mnt-${fstype}`);
      await mount(device, mountpoint);
      disks.push({ device, image, mountpoint, fstype, sizeBytes: mib << 20 });
    }
    return { dir, disks, teardown };
  } catch (e) {
    await teardown();
    throw e;
  }
}
