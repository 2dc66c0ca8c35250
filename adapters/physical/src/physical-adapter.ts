import {
  DrkitError,
  UnsupportedError,
  type Adapter,
  type DiscoverOptions,
  type InventoryItem,
  type ReplicationOps,
  type SiteInfo,
  type SnapshotOps,
} from '@drkit/core';
import { SshSession, type SshRunner } from '@drkit/ssh';
import { detectOs, type HostOps } from './host-ops.js';
import type { PhysicalAdapterOptions } from './physical-options.js';

export type { PhysicalAdapterOptions } from './physical-options.js';
import { connectLinux } from './linux-host.js';
import { connectWindows } from './windows-host.js';

/**
 * A physical (or any) server reached over SSH, Linux or Windows — no agent, only what a
 * login can run. The host's kind is found at connect; see linux-host.ts and windows-host.ts.
 */
export function createPhysicalAdapter(options: PhysicalAdapterOptions): Adapter {
  if (!options.ssh === !options.runner)
    throw new DrkitError('bad-input', 'physical: give either ssh (an endpoint) or runner (an injected connection)');
  const openRunner = options.runner ?? ((signal?: AbortSignal) => SshSession.open(options.ssh!, { signal }));
  const where = options.ssh
    ? `ssh://${options.ssh.username}@${options.ssh.host}${options.ssh.port && options.ssh.port !== 22 ? `:${options.ssh.port}` : ''}`
    : 'ssh://(injected)';
  let session: SshRunner | undefined;
  let host: HostOps | undefined;
  const live = () => {
    if (!host) throw new DrkitError('invalid-state', 'physical: call connect() first');
    return host;
  };
  // A dropped connection is not the end of the adapter: the next call logs in again (a
  // freeze held by the lost one thaws on the host by itself).
  let reopening: Promise<SshRunner> | undefined;
  const currentSession = async (): Promise<SshRunner> => {
    if (session && !session.closed) return session;
    reopening ??= openRunner().finally(() => (reopening = undefined));
    session = await reopening;
    return session;
  };
  const snapshots: SnapshotOps = {
    prepare: (r) => live().snapshots.prepare(r),
    take: (p, o) => live().snapshots.take(p, o),
    release: (p) => live().snapshots.release(p),
    delete: (s, o) => live().snapshots.delete(s, o),
    listTagged: (t, o) => live().snapshots.listTagged(t, o),
  };
  const replication: ReplicationOps = { openDisk: (...args) => live().replication.openDisk(...args) };

  return {
    specificationVersion: 'v1',
    kind: 'physical',
    async connect(opts = {}) {
      if (!session || session.closed) session = await openRunner(opts.signal);
      const os = options.os ?? (await detectOs(session, opts.signal));
      if (os === 'other')
        throw new UnsupportedError(
          'platform.version',
          `${where}: the host is neither Linux nor Windows (uname -s said something else)`,
        );
      const ctx = { session: currentSession, options, ...(opts.signal && { signal: opts.signal }) };
      host = os === 'windows' ? await connectWindows(ctx) : await connectLinux(ctx);
      return host.capabilities;
    },
    get capabilities() {
      if (!host) throw new DrkitError('invalid-state', 'physical: capabilities are known after connect()');
      return host.capabilities;
    },
    get site(): SiteInfo {
      return { adapter: 'physical', endpoint: where, product: 'server over SSH', ...host?.site };
    },
    discover(opts: DiscoverOptions = {}): AsyncIterable<InventoryItem> {
      const h = live();
      return (async function* () {
        for (const item of h.inventory())
          if (item.kind === 'warning' || !opts.kinds || opts.kinds.includes(item.kind)) yield item;
      })();
    },
    snapshots,
    replication,
    async close() {
      const s = session;
      session = undefined;
      await s?.close();
    },
  };
}
