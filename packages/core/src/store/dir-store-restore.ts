import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { DrkitError } from '../errors.js';
import type { OperationOptions } from '../progress.js';
import type { PointManifest } from './point-manifest.js';
import { readPointDisk } from './point-reader.js';
import type { StoreLayout } from './store-layout.js';
import type { RestoreResult, VerifyResult } from './target-store.js';

/** Raw images, one per disk, under `<out>/<machine name>/<disk name>.img`, every block verified. */
export async function restorePoint(layout: StoreLayout, points: PointManifest[], pointId: string, outDir: string, options: OperationOptions): Promise<RestoreResult> {
  const point = findPoint(points, pointId);
  const files: RestoreResult['files'] = [];
  for (const member of point.members) {
    const dir = join(outDir, safeName(member.name));
    await mkdir(dir, { recursive: true });
    for (const disk of member.disks) {
      const path = join(dir, `${safeName(disk.name)}.img`);
      const out = await open(path, 'w', 0o600);
      try {
        const root = await readPointDisk(layout, points, point, disk, async (chunk, offset) => {
          await out.write(chunk, 0, chunk.length, offset);
        }, options);
        await out.truncate(disk.sizeBytes);
        await out.sync();
        files.push({ machine: member.name, disk: disk.name, path, sizeBytes: disk.sizeBytes, root });
      } finally {
        await out.close();
      }
    }
  }
  return { pointId: point.id, files };
}

export async function verifyPoint(layout: StoreLayout, points: PointManifest[], pointId: string, options: OperationOptions): Promise<VerifyResult> {
  const point = findPoint(points, pointId);
  const disks: VerifyResult['disks'] = [];
  for (const member of point.members) {
    for (const disk of member.disks) {
      try {
        const actual = await readPointDisk(layout, points, point, disk, undefined, options);
        disks.push({ key: disk.key, name: disk.name, ok: true, expected: disk.root, actual });
      } catch (error) {
        if (!DrkitError.isInstance(error) || error.code !== 'integrity') throw error;
        disks.push({ key: disk.key, name: disk.name, ok: false, expected: disk.root, actual: error.message });
      }
    }
  }
  return { pointId: point.id, ok: disks.every((d) => d.ok), disks };
}

function findPoint(points: PointManifest[], id: string): PointManifest {
  const exact = points.find((p) => p.id === id);
  if (exact) return exact;
  const matches = points.filter((p) => id.length >= 4 && p.id.startsWith(id));
  if (matches.length > 1) throw new DrkitError('bad-input', `point id prefix ${id} is ambiguous`);
  if (!matches[0]) throw new DrkitError('not-found', `no recovery point ${id}`);
  return matches[0];
}

export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_') || '_';
}
