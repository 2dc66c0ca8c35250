import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DrkitError } from '@drkit/spec';
import { storeIoError } from './store-io.js';
import type { PointDisk, PointManifest } from './point-manifest.js';
import { readSealedJson } from './sealed-json.js';
import { isSafeName } from './store-names.js';
import type { StoreLayout } from './store-layout.js';

/**
 * One file under points/: its place in the order and its id come from the file name, so a
 * damaged manifest still has a place — its journals stay in the chain that rebuilds older
 * points, and a new point never reuses its number.
 */
export interface PointSlot {
  seq: number;
  id: string;
  path: string;
  manifest?: PointManifest;
  /** Why the manifest cannot be used, when it cannot. */
  damage?: string;
}

const NAME = /^(\d{8})-(.+)\.json$/;

/** Every point file, oldest first, each read and checked; one bad file never hides the others. */
export async function readPointSlots(layout: StoreLayout): Promise<PointSlot[]> {
  const names = await readdir(layout.points).catch((error: unknown) => {
    throw storeIoError(error, layout.points);
  });
  const slots: PointSlot[] = [];
  for (const name of names.sort()) {
    const m = NAME.exec(name);
    if (!m) continue;
    const path = join(layout.points, name);
    const slot: PointSlot = { seq: Number(m[1]), id: m[2]!, path };
    if (!isSafeName(slot.id)) continue; // not a name drkit writes: never a path part
    try {
      const read = await readSealedJson(path);
      if (!read.ok) slot.damage = read.reason;
      else {
        const problem = manifestProblem(read.value, slot);
        if (problem) slot.damage = problem;
        else slot.manifest = read.value as PointManifest;
      }
    } catch (error) {
      slot.damage = `unreadable (${(error as Error).message})`;
    }
    slots.push(slot);
  }
  return slots;
}

/** What makes a parsed manifest unusable, or undefined when it is whole. */
function manifestProblem(value: unknown, slot: PointSlot): string | undefined {
  const p = value as Partial<PointManifest>;
  if (p.format !== 'drkit-point/1') return `unknown format ${JSON.stringify(p.format)}`;
  if (p.id !== slot.id || p.seq !== slot.seq)
    return `its id and number (${String(p.id)}, ${String(p.seq)}) differ from its file name`;
  if (!Array.isArray(p.members) || p.members.length === 0) return 'no members';
  for (const member of p.members) {
    if (typeof member?.name !== 'string' || !Array.isArray(member.disks)) return 'a member without name or disks';
    for (const d of member.disks as Array<Partial<PointDisk>>) {
      if (!isSafeName(d?.key)) return `a disk key ${JSON.stringify(d?.key)} the store never writes`;
      if (!Number.isSafeInteger(d.sizeBytes) || d.sizeBytes! < 0) return `disk ${d.key}: size ${String(d.sizeBytes)}`;
      if (!Number.isSafeInteger(d.blockSize) || d.blockSize! < 512)
        return `disk ${d.key}: block size ${String(d.blockSize)}`;
      if (typeof d.root !== 'string' || !/^[0-9a-f]{64}$/.test(d.root)) return `disk ${d.key}: no checksum root`;
      if (typeof d.name !== 'string') return `disk ${d.key}: no name`;
    }
  }
  return undefined;
}

/** A point by id or a unique prefix of at least 4 characters (as restore takes it). */
export function findSlot(slots: PointSlot[], id: string): PointSlot {
  const exact = slots.find((s) => s.id === id);
  if (exact) return exact;
  const matches = slots.filter((s) => id.length >= 4 && s.id.startsWith(id));
  if (matches.length > 1) throw new DrkitError('bad-input', `point id prefix ${id} is ambiguous`);
  if (!matches[0]) throw new DrkitError('not-found', `no recovery point ${id}`);
  return matches[0];
}
