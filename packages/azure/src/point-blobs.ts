import type { ContainerClient } from '@azure/storage-blob';
import { DrkitError, isSafeName, type PointManifest } from '@drkit/core';
import { azureError, isNotFound } from './azure-errors.js';
import type { AzureLayout } from './azure-layout.js';

/** A point as the Azure store keeps it: the manifest, and the snapshot of each disk's page blob. */
export interface AzurePoint {
  format: 'drkit-azure-point/1';
  point: PointManifest;
  /** Disk key → snapshot time of `disks/<key>/disk.vhd` holding this point. */
  snapshots: Record<string, string>;
}

export interface PointEntry {
  name: string;
  seq: number;
  id: string;
  value?: AzurePoint;
  damage?: string;
}

/** Every point manifest, oldest first; one that does not parse is kept as damage, never dropped silently. */
export async function readPoints(container: ContainerClient, layout: AzureLayout): Promise<PointEntry[]> {
  const names: string[] = [];
  try {
    for await (const b of container.listBlobsFlat({ prefix: layout.points })) names.push(b.name);
  } catch (error) {
    if (isNotFound(error)) return [];
    throw azureError(error, 'listing points');
  }
  const entries = await Promise.all(
    names.map(async (name): Promise<PointEntry | undefined> => {
      const m = /^(\d{10})-(.+)\.json$/.exec(name.slice(layout.points.length));
      if (!m || !isSafeName(m[2])) return undefined;
      const entry: PointEntry = { name, seq: Number(m[1]), id: m[2]! };
      try {
        const text = (await container.getBlockBlobClient(name).downloadToBuffer()).toString('utf8');
        const value = JSON.parse(text) as AzurePoint;
        if (
          value.format !== 'drkit-azure-point/1' ||
          value.point?.id !== entry.id ||
          typeof value.snapshots !== 'object'
        )
          entry.damage = 'not a drkit point manifest';
        else entry.value = value;
      } catch (error) {
        if (isNotFound(error)) return undefined; // pruned while listing
        if (error instanceof SyntaxError) entry.damage = 'does not parse as JSON';
        else throw azureError(error, `reading point ${name}`);
      }
      return entry;
    }),
  );
  return entries.filter((e): e is PointEntry => !!e).sort((a, b) => a.seq - b.seq);
}

/** The point with this id, or the one whose id starts with these ≥ 4 characters. */
export function findPoint(entries: PointEntry[], id: string): PointEntry {
  const exact = entries.find((e) => e.id === id);
  if (exact) return exact;
  const matches = id.length >= 4 ? entries.filter((e) => e.id.startsWith(id)) : [];
  if (matches.length === 1) return matches[0]!;
  throw new DrkitError(
    'not-found',
    matches.length > 1
      ? `${matches.length} points start with ${id}; give more of the id`
      : `no point ${id} in the store`,
  );
}
