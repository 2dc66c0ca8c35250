import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Adapter, DiscoverOptions } from '@drkit/spec';
import type { Capabilities } from '@drkit/spec';
import { processAlive } from '../process-alive.js';
import { DrkitError, throwIfAborted } from '@drkit/spec';
import type { InventoryItem, SiteInfo } from '@drkit/spec';
import type { ReplicationOps } from '@drkit/spec';
import type { PreparedSnapshot, SnapshotOps, SnapshotRequest, TakenSnapshot } from '@drkit/spec';
import { normalizeWwn } from '../wwn.js';
import { currentToken } from './reference-change-log.js';
import { openReferenceDisk } from './reference-disk-source.js';
import { FaultInjector, type Fault } from './reference-faults.js';
import { listMachines, readMachine, SNAPSHOTS } from './reference-site.js';
import { readJsonFile, replaceFile } from './site-files.js';

export interface ReferenceAdapterOptions {
  /** The site: a folder with one folder of raw `.img` disk files per machine. */
  root: string;
  faults?: Fault[];
  /** Behave like a platform that fuses freeze, snapshot and thaw into one call. */
  fusedPhases?: boolean;
}

interface SnapshotMeta {
  id: string;
  machineId: string;
  tag: string;
  takenAt: string;
  tokens: Record<string, string>;
  /** Set for a run's snapshot: the process whose run it belongs to. */
  runPid?: number;
}

/** Written before the copy starts: a take killed mid-copy leaves a folder that says whose it was. */
const OWNER = 'owner.json';

/**
 * The reference adapter: every machine is a folder of raw disk images. It implements the
 * whole contract — discovery, phased snapshots (a freeze marker with a deadline, so a lost
 * thaw expires like a watchdog), change tracking, disk reads — with faults injectable at
 * every phase, so the core can be tested, and tried from the CLI (`file://<folder>`),
 * without a hypervisor.
 */
export function createReferenceAdapter(options: ReferenceAdapterOptions): Adapter {
  const root = resolve(options.root);
  const snapshotsDir = join(root, SNAPSHOTS);
  let faults: FaultInjector | undefined;
  let capabilities: Capabilities | undefined;
  const ready = () => {
    if (!faults) throw new DrkitError('invalid-state', 'reference: call connect() first');
    return faults;
  };
  const machine = async (id: string) => {
    const found = await readMachine(root, id).catch(() => undefined);
    if (!found || found.disks.length === 0) throw new DrkitError('not-found', `no machine ${id} with disks in ${root}`);
    return found;
  };

  const snapshots: SnapshotOps = {
    async prepare(request: SnapshotRequest): Promise<PreparedSnapshot> {
      await ready().at('prepare', request.machineId);
      const m = await machine(request.machineId);
      if (request.consistency === 'app' && !options.fusedPhases) {
        if (m.config.powerState === 'off')
          throw new DrkitError('invalid-state', `${m.folder} is powered off: nothing to freeze`);
        if (m.config.app === false)
          throw new DrkitError('platform', `${m.folder} has no application freeze`, { fault: 'FreezeNotAvailable' });
        const deadline = request.freezeDeadline ?? Date.now() + 10_000;
        await replaceFile(join(m.dir, '.frozen'), String(deadline));
        return { machineId: request.machineId, request, frozenAt: Date.now(), handle: m.folder };
      }
      return { machineId: request.machineId, request, handle: m.folder };
    },
    async take(prepared, opts = {}): Promise<TakenSnapshot> {
      await ready().at('take', prepared.machineId);
      throwIfAborted(opts.signal);
      const m = await machine(prepared.machineId);
      const id = randomUUID();
      const dir = join(snapshotsDir, id);
      // Made under a name that carries this pid, owner file inside, then renamed: a process
      // killed at any moment leaves a snapshot whose owner can be told, never an anonymous one.
      const part = `${dir}${PART}${process.pid}`;
      await mkdir(part, { recursive: true });
      await writeFile(
        join(part, OWNER),
        JSON.stringify({ pid: process.pid, lifetime: prepared.request.lifetime ?? 'kept' }),
      );
      await rename(part, dir);
      const tokens: Record<string, string> = {};
      // Token first, data second: a write logged before the token is already in the file.
      for (const d of m.disks) tokens[diskId(m.folder, d.name)] = await currentToken(m.dir, d.name);
      // A clone where the file system can (btrfs, xfs): a snapshot as cheap as a platform's.
      for (const d of m.disks) await copyFile(d.path, join(dir, `${d.name}.img`), constants.COPYFILE_FICLONE);
      const requested = prepared.request.consistency;
      const warnings: string[] = [];
      let achieved = requested;
      if (requested === 'app' && m.config.powerState === 'off') {
        achieved = 'crash';
        warnings.push(`${m.folder} is powered off: the platform ignored the quiesce request`);
      } else if (requested === 'app' && m.config.silentAppFallback) {
        achieved = 'crash';
        warnings.push(
          `${m.folder}: the platform silently took a crash-consistent snapshot instead of an app-consistent one`,
        );
      }
      const meta: SnapshotMeta = {
        id,
        machineId: m.folder,
        tag: prepared.request.tag,
        takenAt: new Date().toISOString(),
        tokens,
        ...(prepared.request.lifetime === 'run' && { runPid: process.pid }),
      };
      await replaceFile(join(dir, 'meta.json'), JSON.stringify(meta));
      return {
        id,
        machineId: m.folder,
        takenAt: meta.takenAt,
        requested,
        achieved,
        warnings,
        changeTokens: tokens,
        disks: m.disks.map((d) => ({ diskId: diskId(m.folder, d.name), name: d.name, sizeBytes: d.sizeBytes })),
        tag: meta.tag,
      };
    },
    async release(prepared) {
      await ready().at('release', prepared.machineId);
      const m = await machine(prepared.machineId);
      await rm(join(m.dir, '.frozen'), { force: true });
    },
    async delete(snapshot) {
      await ready().at('delete', snapshot.machineId);
      await rm(join(snapshotsDir, snapshot.id), { recursive: true, force: true });
    },
    async listTagged(tag) {
      const ids = await readdir(snapshotsDir).catch(() => [] as string[]);
      const metas = await Promise.all(ids.map((id) => readJsonFile<SnapshotMeta>(join(snapshotsDir, id, 'meta.json'))));
      return metas
        .filter((m): m is SnapshotMeta => !!m && m.tag.startsWith(tag))
        .map((m) => ({ id: m.id, machineId: m.machineId, takenAt: m.takenAt }));
    },
  };

  const replication: ReplicationOps = {
    async openDisk(snapshotId, machineId, id) {
      const f = ready();
      const meta = await readJsonFile<SnapshotMeta>(join(snapshotsDir, snapshotId, 'meta.json'));
      if (!meta || meta.machineId !== machineId)
        throw new DrkitError('not-found', `no snapshot ${snapshotId} of ${machineId}`);
      const token = meta.tokens[id];
      if (token === undefined) throw new DrkitError('not-found', `snapshot ${snapshotId} has no disk ${id}`);
      const name = id.slice(machineId.length + 1);
      return openReferenceDisk({
        diskId: id,
        disk: name,
        image: join(snapshotsDir, snapshotId, `${name}.img`),
        machineDir: join(root, machineId),
        machine: machineId,
        token,
        faults: f,
      });
    },
  };

  return {
    specificationVersion: 'v1',
    kind: 'file',
    async connect() {
      const info = await stat(root).catch(() => undefined);
      if (!info?.isDirectory()) throw new DrkitError('bad-input', `${root} is not a folder of machines`);
      faults = await FaultInjector.load(root, options.faults);
      await removeDeadRunSnapshots(snapshotsDir);
      capabilities = {
        apiVersion: '1',
        discovery: true,
        snapshot: { consistency: ['crash', 'app'], fusedPhases: !!options.fusedPhases, mechanisms: ['file-copy'] },
        replication: { diskRead: true, changeTracking: true, remoteHashing: false },
      };
      return capabilities;
    },
    get capabilities() {
      if (!capabilities) throw new DrkitError('invalid-state', 'reference: capabilities are known after connect()');
      return capabilities;
    },
    get site(): SiteInfo {
      return {
        adapter: 'file',
        endpoint: `file://${root}`,
        product: 'drkit reference site',
        version: '1',
        instanceId: root,
      };
    },
    discover(opts: DiscoverOptions = {}): AsyncIterable<InventoryItem> {
      const f = ready();
      const wanted = (kind: InventoryItem['kind']) => !opts.kinds || opts.kinds.includes(kind as never);
      return (async function* () {
        await f.at('discover');
        if (wanted('host'))
          yield {
            kind: 'host',
            host: {
              id: 'local',
              nativeId: 'local',
              name: 'local',
              powerState: 'on',
              storageIds: ['dir'],
              networkIds: [],
            },
          } as InventoryItem;
        if (wanted('storage'))
          yield {
            kind: 'storage',
            storage: { id: 'dir', nativeId: root, name: root, type: 'directory' },
          } as InventoryItem;
        if (!wanted('machine')) return;
        for (const m of await listMachines(root)) {
          throwIfAborted(opts.signal);
          if (m.disks.length === 0) continue;
          yield {
            kind: 'machine',
            machine: {
              id: m.folder,
              nativeId: m.dir,
              name: m.config.name ?? m.folder,
              powerState: m.config.powerState ?? 'on',
              os: { family: m.config.os ?? 'unknown' },
              hostId: 'local',
              disks: m.disks.map((d) => {
                const wwn = normalizeWwn(m.config.wwns?.[d.name]);
                return {
                  id: diskId(m.folder, d.name),
                  name: d.name,
                  capacityBytes: d.sizeBytes,
                  path: d.path,
                  storageId: 'dir',
                  changeTracking: true,
                  ...(wwn && { wwn }),
                };
              }),
              nics: [],
              addresses: [],
              storageIds: ['dir'],
              networkIds: [],
            },
          };
        }
      })();
    },
    snapshots,
    replication,
    async close() {},
  };
}

/** Disk ids are unique across the site: `<machine folder>/<disk file name>`. */
function diskId(machine: string, disk: string): string {
  return `${machine}/${disk}`;
}

/** A snapshot folder still being made: `<id>.part-<pid>`. */
const PART = '.part-';

/**
 * Snapshots whose run died (killed mid-run, or mid-copy) — never a kept one, never one of a
 * live process: a run's snapshot records its pid, a half-made one its owner file.
 */
async function removeDeadRunSnapshots(snapshotsDir: string): Promise<void> {
  for (const id of await readdir(snapshotsDir).catch(() => [] as string[])) {
    const dir = join(snapshotsDir, id);
    const partOf = id.includes(PART) ? Number(id.slice(id.lastIndexOf(PART) + PART.length)) : undefined;
    if (partOf !== undefined) {
      if (!processAlive(partOf)) await rm(dir, { recursive: true, force: true });
      continue;
    }
    const meta = await readJsonFile<SnapshotMeta>(join(dir, 'meta.json'));
    const owner = await readJsonFile<{ pid?: number }>(join(dir, OWNER));
    const pid = meta ? meta.runPid : owner?.pid;
    if (typeof pid === 'number' && !processAlive(pid)) await rm(dir, { recursive: true, force: true });
  }
}
