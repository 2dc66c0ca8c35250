import { DrkitError, type Adapter, type Capabilities, type DiscoverOptions, type InventoryItem, type ReplicationOps, type SiteInfo } from '@drkit/core';
import { SshSession, type SshEndpoint, type SshRunner } from '@drkit/ssh';
import { linuxDisks, type LinuxDisk } from './linux-disks.js';
import { gatherLinuxFacts, type LinuxFacts } from './linux-facts.js';
import { linuxInventory } from './linux-inventory.js';
import { linuxSnapshotOps } from './linux-snapshots.js';
import { diffable, isSnapshotName, snapshotFile } from './snapshot-commands.js';
import { openSshDisk } from './ssh-disk-source.js';

export interface PhysicalAdapterOptions {
  /** The host to log in to. */
  ssh?: SshEndpoint;
  /** Or an injected connection — a recorder, a replay — opened at connect and after a drop. */
  runner?: () => Promise<SshRunner>;
  /** Narrows the machine to these block devices (`/dev/loop3`); all whole disks when absent. */
  disks?: string[];
  /** Commands run before the freeze and after the thaw of an app-consistent point (argv). */
  hooks?: { pre?: string[]; post?: string[] };
  /** zlib on the wire for disk reads. Default off (loopback and LANs are faster raw). */
  compress?: boolean;
  /** Default freeze budget in ms when a request gives no deadline. Default 10 s. */
  freezeBudgetMs?: number;
}

/**
 * A physical (or any) Linux server reached over SSH — no agent, only what a login can run:
 * discovery from lsblk/ip/os-release, fsfreeze-held snapshots through btrfs or reflink
 * clones of disk images, and disk reads through a Python block helper on the host.
 */
export function createPhysicalAdapter(options: PhysicalAdapterOptions): Adapter {
  if (!options.ssh === !options.runner) throw new DrkitError('bad-input', 'physical: give either ssh (an endpoint) or runner (an injected connection)');
  const openRunner = options.runner ?? ((signal?: AbortSignal) => SshSession.open(options.ssh!, { signal }));
  let session: SshRunner | undefined;
  let facts: LinuxFacts | undefined;
  let disks: LinuxDisk[] | undefined;
  let capabilities: Capabilities | undefined;
  const where = options.ssh ? `ssh://${options.ssh.username}@${options.ssh.host}${options.ssh.port && options.ssh.port !== 22 ? `:${options.ssh.port}` : ''}` : 'ssh://(injected)';
  const live = () => {
    if (!facts || !disks) throw new DrkitError('invalid-state', 'physical: call connect() first');
    return { facts, disks };
  };
  // A dropped connection is not the end of the adapter: the next call logs in again (a
  // freeze held by the lost one thaws on the host by itself).
  let reopening: Promise<SshRunner> | undefined;
  const currentSession = async (): Promise<SshRunner> => {
    if (!facts) throw new DrkitError('invalid-state', 'physical: call connect() first');
    if (session && !session.closed) return session;
    reopening ??= openRunner().finally(() => (reopening = undefined));
    session = await reopening;
    return session;
  };

  const snapshots = linuxSnapshotOps({
    session: currentSession,
    get machineId() {
      return live().facts.machineId;
    },
    disks: () => live().disks,
    ...(options.hooks && { hooks: options.hooks }),
    ...(options.freezeBudgetMs !== undefined && { freezeBudgetMs: options.freezeBudgetMs }),
  });

  const replication: ReplicationOps = {
    async openDisk(snapshotId, machineId, diskId) {
      const { facts: f, disks: ds } = live();
      if (machineId !== f.machineId) throw new DrkitError('not-found', `this host is machine ${f.machineId}, not ${machineId}`);
      const disk = ds.find((d) => d.id === diskId);
      if (!disk) throw new DrkitError('not-found', `no disk ${diskId} on ${f.hostname}`);
      if (!f.python) throw new DrkitError('unsupported', `${f.hostname} has no python3: disk reads need it`);
      return openSshDisk(await currentSession(), {
        python: f.python,
        diskId,
        path: snapshotFile(disk, snapshotId),
        sizeBytes: disk.device.sizeBytes,
        token: snapshotId,
        ...(diffable(disk) && { baseFiles: (token: string) => (isSnapshotName(token) && token !== snapshotId ? [snapshotFile(disk, token)] : []) }),
        ...(options.compress && { compress: true }),
      });
    },
  };

  return {
    specificationVersion: 'v1',
    kind: 'physical',
    async connect(opts = {}) {
      if (!session || session.closed) session = await openRunner(opts.signal);
      facts = await gatherLinuxFacts(session, opts.signal);
      disks = linuxDisks(facts, options.disks);
      const snapshotable = disks.length > 0 && disks.every((d) => d.mechanism.kind !== 'none');
      const canFreeze = facts.tools.has('fsfreeze') && facts.tools.has('timeout');
      capabilities = {
        apiVersion: facts.kernel,
        discovery: true,
        snapshot: {
          consistency: snapshotable ? (canFreeze ? ['crash', 'app'] : ['crash']) : [],
          fusedPhases: false,
          mechanisms: [...new Set(disks.map((d) => d.mechanism.kind).filter((k) => k !== 'none')), ...(canFreeze ? ['fsfreeze'] : [])],
        },
        replication: { diskRead: snapshotable && !!facts.python, changeTracking: snapshotable && !!facts.python && disks.every(diffable), remoteHashing: !!facts.python },
      };
      return capabilities;
    },
    get capabilities() {
      if (!capabilities) throw new DrkitError('invalid-state', 'physical: capabilities are known after connect()');
      return capabilities;
    },
    get site(): SiteInfo {
      return {
        adapter: 'physical',
        endpoint: where,
        product: facts ? (facts.os.PRETTY_NAME ?? 'Linux') : 'Linux',
        ...(facts && { version: facts.kernel, instanceId: facts.machineId }),
      };
    },
    discover(opts: DiscoverOptions = {}): AsyncIterable<InventoryItem> {
      const { facts: f, disks: ds } = live();
      return (async function* () {
        for (const item of linuxInventory(f, ds)) {
          if (item.kind === 'warning' || !opts.kinds || opts.kinds.includes(item.kind)) yield item;
        }
        for (const d of ds) if (d.mechanism.kind === 'none') yield { kind: 'warning', message: `${d.device.path}: ${d.mechanism.reason}` } as InventoryItem;
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
