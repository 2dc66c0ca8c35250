import type { Capabilities, InventoryItem, ReplicationOps, SiteInfo, SnapshotOps } from '@drkit/core';
import type { SshRunner } from '@drkit/ssh';
import type { PhysicalAdapterOptions } from './physical-options.js';

/** What one kind of host (Linux, Windows) gives the adapter once connected. */
export interface HostOps {
  machineId: string;
  capabilities: Capabilities;
  site: Pick<SiteInfo, 'product' | 'version' | 'instanceId'>;
  /** The inventory, warnings included (a host is one machine: small, so not streamed). */
  inventory(): InventoryItem[];
  snapshots: SnapshotOps;
  replication: ReplicationOps;
}

export interface HostContext {
  /** The current connection, logged in again after a drop. */
  session: () => Promise<SshRunner>;
  options: PhysicalAdapterOptions;
  signal?: AbortSignal;
}

/** Which shell answers: a POSIX one prints `Linux` for `uname -s`; Windows' cmd.exe knows no uname. */
export async function detectOs(session: SshRunner, signal?: AbortSignal): Promise<'linux' | 'windows' | 'other'> {
  const r = await session.exec(
    { raw: 'uname -s', name: 'uname' },
    { okCodes: Array.from({ length: 256 }, (_, i) => i), timeoutMs: 30_000, ...(signal && { signal }) },
  );
  const out = r.stdout.toString('utf8').trim();
  if (r.code === 0 && out === 'Linux') return 'linux';
  if (r.code !== 0 && /not recognized as an internal or external command|is not recognized/i.test(r.stderr + out))
    return 'windows';
  return 'other';
}
