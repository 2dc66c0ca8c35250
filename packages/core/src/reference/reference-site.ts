import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { OsFamily, PowerState } from '@drkit/spec';

/** `<site>/<machine>/machine.json`: optional facts about a reference machine. */
export interface MachineConfig {
  name?: string;
  powerState?: PowerState;
  os?: OsFamily;
  /** Applications can be frozen (default true). False: an app request fails. */
  app?: boolean;
  /** Emulates a platform that silently takes a crash snapshot when asked for app (default false). */
  silentAppFallback?: boolean;
  /** Disk name → the LUN id it stands for, to model a server whose disks live on an array. */
  wwns?: Record<string, string>;
}

export interface ReferenceMachine {
  folder: string;
  dir: string;
  config: MachineConfig;
  disks: Array<{ name: string; path: string; sizeBytes: number }>;
}

export const SNAPSHOTS = '.drkit-snapshots';

export async function listMachines(site: string): Promise<ReferenceMachine[]> {
  const entries = await readdir(site, { withFileTypes: true });
  const machines: ReferenceMachine[] = [];
  for (const e of entries
    .filter((x) => x.isDirectory() && !x.name.startsWith('.'))
    .sort((a, b) => a.name.localeCompare(b.name))) {
    machines.push(await readMachine(site, e.name));
  }
  return machines;
}

export async function readMachine(site: string, folder: string): Promise<ReferenceMachine> {
  const dir = join(site, folder);
  const config = await readFile(join(dir, 'machine.json'), 'utf8').then(
    (t) => JSON.parse(t) as MachineConfig,
    () => ({}),
  );
  const files = (await readdir(dir)).filter((f) => f.endsWith('.img')).sort();
  const disks = await Promise.all(
    files.map(async (f) => ({ name: f.slice(0, -4), path: join(dir, f), sizeBytes: (await stat(join(dir, f))).size })),
  );
  return { folder, dir, config, disks };
}
