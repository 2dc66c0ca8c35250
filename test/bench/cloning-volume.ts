import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * An xfs file system on a loop device (root only), where a copy can be a clone (reflink): the
 * reference adapter's snapshot and a dir: store's restore clone there instead of copying, as a
 * platform snapshot and a store on xfs or btrfs do. Undefined where it cannot be made.
 */
export async function cloningVolume(gib: number): Promise<{ dir: string; teardown(): Promise<void> } | undefined> {
  if (process.getuid?.() !== 0 || !existsSync('/sbin/mkfs.xfs')) return undefined;
  const sh = (cmd: string, ...args: string[]) => promisify(execFile)(cmd, args);
  const base = await mkdtemp(join(tmpdir(), 'drkit-bench-vol-'));
  const image = join(base, 'xfs.img');
  const dir = join(base, 'mnt');
  await mkdir(dir);
  await sh('truncate', '-s', `${gib}G`, image);
  await sh('mkfs.xfs', '-q', image);
  await sh('mount', '-o', 'loop', image, dir);
  return {
    dir,
    async teardown() {
      await sh('umount', dir).catch(() => {});
      await rm(base, { recursive: true, force: true });
    },
  };
}
