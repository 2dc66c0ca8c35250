import { createHash, randomUUID } from 'node:crypto';
import { lstat, mkdir, open, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DrkitError } from '@drkit/spec';
import { convertImage } from '../disk-format/image-convert.js';
import { VHD_FOOTER_BYTES, vhdFooter } from '../disk-format/vhd-footer.js';
import { syncDir } from './atomic-file.js';
import type { PointDisk, PointManifest } from './point-manifest.js';
import { IMAGE_FORMATS, type RestoreOptions, type RestoreResult } from './target-store.js';

export type { ImageFormat, RestoreOptions } from './target-store.js';

/** Writes one disk of the point, checked, into `path` (a new file); returns the root it verified. */
export type DiskImageWriter = (disk: PointDisk, path: string) => Promise<string>;

/**
 * One image per disk under `<out>/<machine>/<disk>.img|.vhd` — names kept readable
 * (Unicode letters too), with a short id added where two machines or two disks would get
 * the same name, so no output is ever written twice. Each image is written under a
 * temporary name by the store's own writer (which checks every block) and renamed into
 * place once whole; one whose point does not verify is deleted, never left looking restored.
 */
export async function restoreImages(
  point: PointManifest,
  outDir: string,
  options: RestoreOptions,
  writeDisk: DiskImageWriter,
): Promise<RestoreResult> {
  const format = options.format ?? 'raw';
  if (!IMAGE_FORMATS.includes(format))
    throw new DrkitError('bad-input', `format ${JSON.stringify(format)}: give ${IMAGE_FORMATS.join(', ')}`);
  await prepareOut(outDir, options.force ?? false);
  const files: RestoreResult['files'] = [];
  const machineDirs = uniqueNames(point.members.map((m) => ({ name: m.name, id: m.machineId })));
  const written = new Set<string>();
  const made: string[] = [];
  try {
    for (const [i, member] of point.members.entries()) {
      const dir = join(outDir, machineDirs[i]!);
      if (await makeOwnDir(dir)) made.push(dir);
      const diskNames = uniqueNames(member.disks.map((d) => ({ name: d.name, id: d.diskId })));
      for (const [j, disk] of member.disks.entries()) {
        const file = `${diskNames[j]}.${format === 'raw' ? 'img' : format}`;
        const path = join(dir, file);
        if (written.has(path)) throw new DrkitError('invalid-state', `restore would write ${path} twice`);
        written.add(path);
        const tmp = join(dir, `.${file}.drkit-${randomUUID()}`);
        const raw = `${tmp}.raw`;
        try {
          const converted = format !== 'raw' && format !== 'vhd';
          // The store writes and checks the raw image; a converted format is made from it.
          const root = await writeDisk(disk, converted ? raw : tmp);
          if (format === 'vhd') await appendVhdFooter(tmp, disk.sizeBytes, options.durable !== false);
          if (converted) await convertImage(raw, tmp, format, options.signal);
          await rename(tmp, path); // replaces a file or a link itself, never what a link points to
          files.push({ machine: member.name, disk: disk.name, path, sizeBytes: disk.sizeBytes, root });
        } catch (error) {
          await rm(tmp, { force: true });
          await rm(raw, { force: true });
          throw error;
        }
      }
    }
  } catch (error) {
    // Folders this restore made and left empty go too: a failed restore leaves nothing.
    for (const dir of made.reverse()) await rmdir(dir).catch(() => {});
    throw error;
  }
  if (options.durable !== false) await Promise.all([...new Set(files.map((f) => dirname(f.path)))].map(syncDir));
  return { pointId: point.id, files };
}

/** A raw image becomes a fixed VHD: padded to whole sectors, then the footer. */
async function appendVhdFooter(path: string, sizeBytes: number, durable: boolean): Promise<void> {
  const padded = Math.ceil(sizeBytes / 512) * 512;
  const file = await open(path, 'r+');
  try {
    await file.truncate(padded);
    await file.write(vhdFooter({ sizeBytes: padded }), 0, VHD_FOOTER_BYTES, padded);
    if (durable) await file.sync();
  } finally {
    await file.close();
  }
}

/** `--out` must be a folder (made if missing), not a link, and empty unless forced. */
async function prepareOut(outDir: string, force: boolean): Promise<void> {
  const info = await lstat(outDir).catch(() => undefined);
  if (!info) {
    await mkdir(outDir, { recursive: true, mode: 0o700 });
    return;
  }
  if (info.isSymbolicLink()) throw new DrkitError('bad-input', `${outDir} is a symbolic link; give the folder itself`);
  if (!info.isDirectory()) throw new DrkitError('bad-input', `${outDir} is not a folder`);
  if (!force && (await readdir(outDir)).length > 0)
    throw new DrkitError(
      'bad-input',
      `${outDir} is not empty; give an empty folder, or --force to replace images there`,
    );
}

/** Makes (or accepts) a machine's folder; true when this call made it. */
async function makeOwnDir(dir: string): Promise<boolean> {
  const made = await mkdir(dir, { mode: 0o700 }).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
      return false;
    },
  );
  const info = await lstat(dir);
  if (info.isSymbolicLink() || !info.isDirectory())
    throw new DrkitError('bad-input', `${dir} is not a folder drkit may write into (a link or a file)`);
  return made;
}

/**
 * File-name-safe names that keep letters of any script; where two entries end up with the
 * same name, each gets a short hash of its id, so outputs never collide.
 */
export function uniqueNames(entries: Array<{ name: string; id: string }>): string[] {
  const safe = entries.map((e) => safeName(e.name));
  const count = new Map<string, number>();
  for (const n of safe) count.set(n.toLowerCase(), (count.get(n.toLowerCase()) ?? 0) + 1);
  const out = safe.map((n, i) =>
    count.get(n.toLowerCase())! > 1
      ? `${n}-${createHash('sha256').update(entries[i]!.id).digest('hex').slice(0, 8)}`
      : n,
  );
  // The same id twice (or a hash collision): number them, never write one path twice.
  const seen = new Map<string, number>();
  return out.map((n) => {
    const k = seen.get(n.toLowerCase()) ?? 0;
    seen.set(n.toLowerCase(), k + 1);
    return k === 0 ? n : `${n}-${k + 1}`;
  });
}

function safeName(name: string): string {
  const cleaned = name
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}\p{M}._-]+/gu, '_')
    .replace(/^[.]+/, '_')
    .slice(0, 100);
  return cleaned || '_';
}
