import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTracked, type MachineConfig } from '../src/index.js';

export interface SiteSpec {
  [machine: string]: { disks: Record<string, number>; config?: MachineConfig };
}

/** Makes a reference site with random disk contents (half the blocks, so zero blocks exist too). */
export async function makeSite(spec: SiteSpec): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'drkit-site-'));
  for (const [name, m] of Object.entries(spec)) {
    const dir = join(root, name);
    await mkdir(dir);
    if (m.config) await writeFile(join(dir, 'machine.json'), JSON.stringify(m.config));
    for (const [disk, size] of Object.entries(m.disks)) {
      const data = Buffer.alloc(size);
      for (let o = 0; o < size; o += 8192) randomBytes(Math.min(4096, size - o)).copy(data, o);
      await writeFile(join(dir, `${disk}.img`), data);
    }
  }
  return root;
}

/** Writes `count` random 4 KiB blocks at random block offsets through the change log. */
export async function randomWrites(
  root: string,
  machine: string,
  disk: string,
  size: number,
  count: number,
): Promise<number[]> {
  const offsets = [...new Set(Array.from({ length: count }, () => randomInt(0, Math.floor(size / 4096)) * 4096))];
  await writeTracked(
    join(root, machine),
    disk,
    offsets.map((offset) => ({ offset, data: randomBytes(4096) })),
  );
  return offsets;
}

export async function frozenMarkers(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const m of await readdir(root)) {
    const marker = await readFile(join(root, m, '.frozen'), 'utf8').catch(() => undefined);
    if (marker !== undefined) out.push(m);
  }
  return out;
}

export async function snapshotDirs(root: string): Promise<string[]> {
  return readdir(join(root, '.drkit-snapshots')).catch(() => []);
}
