import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { ContainerClient } from '@azure/storage-blob';
import {
  blockHashes,
  DEFAULT_BLOCK_SIZE,
  DrkitError,
  isSafeName,
  latestWith,
  restoreImages,
  roundUpToMiB,
  VHD_FOOTER_BYTES,
  type OperationOptions,
  type PointManifest,
  type PruneResult,
  type PruneRule,
  type RestoreOptions,
  type RestoreResult,
  type RunPlan,
  type StagedFailover,
  type StoreFinding,
  type StoreRun,
  type TargetStore,
  type VerifyResult,
} from '@drkit/core';
import { open } from 'node:fs/promises';
import { azureError, isNotFound } from './azure-errors.js';
import { AzureLayout } from './azure-layout.js';
import type { AzureLocation } from './azure-location.js';
import { AzureStoreRun, type AzureIntent } from './azure-run.js';
import { findPoint, readPoints, type PointEntry } from './point-blobs.js';
import { shapeReplica } from './replica-blob.js';
import { ReplicaMap } from './replica-map.js';
import { readSnapshotDisk } from './snapshot-reader.js';
import { stageFailover } from './stage-failover.js';
import { acquireStoreLease, type StoreLease } from './store-lease.js';

export interface AzureStoreOptions {
  /** A writing command may create the container and the store; a reading one needs them. */
  create?: boolean;
  /** Block size for a new store. Default 4 KiB (a multiple of 512); an existing store keeps its own. */
  blockSize?: number;
  /** How long a writer waits for another's lock before `busy`. Default 20 s (longer than a lease). */
  lockWaitMs?: number;
  signal?: AbortSignal;
}

interface StoreConfig {
  format: 'drkit-azure-store/1';
  blockSize: number;
}

/**
 * The Azure Storage target: per disk one page blob holding the newest point as a fixed VHD
 * (a managed disk can be made from it, or from any snapshot, without conversion); each
 * point is one blob snapshot per disk, taken once every block of the run landed, and a
 * manifest blob naming them — so an older point is read from its snapshot, with no undo
 * journal. Readers (points, restore, verify) read manifests and snapshots only: a run's
 * half-written replica never shows as a point. A writer holds a lease on the `lock` blob.
 */
export async function openAzureStore(
  location: AzureLocation,
  container: ContainerClient,
  agent: http.Agent,
  options: AzureStoreOptions = {},
): Promise<AzureStore> {
  const layout = new AzureLayout(location);
  const notStore = () => new DrkitError('bad-input', `${location.display} is not a drkit store`);
  try {
    if (options.create) await container.createIfNotExists({ abortSignal: options.signal });
    let config: StoreConfig | undefined;
    try {
      config = JSON.parse((await container.getBlockBlobClient(layout.config).downloadToBuffer()).toString('utf8'));
      if (config?.format !== 'drkit-azure-store/1' || !Number.isSafeInteger(config.blockSize))
        throw new DrkitError('integrity', `${location.display}: store.json does not describe a drkit store`);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      if (!options.create) throw notStore();
      const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
      if (blockSize % 512 !== 0 || blockSize > 4 << 20)
        throw new DrkitError(
          'bad-input',
          `block size ${blockSize}: Azure pages are 512 bytes, a block must be a multiple of 512 up to 4 MiB`,
        );
      config = { format: 'drkit-azure-store/1', blockSize };
      const text = JSON.stringify(config);
      await container
        .getBlockBlobClient(layout.config)
        .upload(text, text.length, { conditions: { ifNoneMatch: '*' } })
        .catch(async (e: unknown) => {
          // Two first runs at once: the other one wrote it; read theirs.
          if ((e as { statusCode?: number }).statusCode !== 409) throw e;
        });
    }
    return new AzureStore(location, container, layout, agent, config!.blockSize, options);
  } catch (error) {
    if (DrkitError.isInstance(error)) throw error;
    const e = azureError(error, `opening ${location.display}`);
    if (e.code === 'not-found' && !options.create) throw notStore();
    throw e;
  }
}

export class AzureStore implements TargetStore {
  readonly warnings: string[] = [];
  #lease: StoreLease | undefined;

  constructor(
    readonly where: AzureLocation,
    readonly container: ContainerClient,
    readonly layout: AzureLayout,
    private readonly agent: http.Agent,
    readonly blockSize: number,
    private readonly options: AzureStoreOptions,
  ) {}

  get location(): string {
    return this.where.display;
  }

  get lease(): StoreLease {
    if (!this.#lease) throw new DrkitError('invalid-state', 'the store is not locked');
    return this.#lease;
  }

  async listPoints(): Promise<PointManifest[]> {
    return (await readPoints(this.container, this.layout)).flatMap((e) => (e.value ? [e.value.point] : []));
  }

  /**
   * Damaged manifests, and replicas changed behind drkit's back: between runs a replica is
   * exactly its newest snapshot, so any page the service reports written since then is
   * compared byte for byte (the next replicate refuses such a replica until a resync).
   */
  async findings(): Promise<StoreFinding[]> {
    const out: StoreFinding[] = [];
    const entries = await readPoints(this.container, this.layout);
    for (const e of entries) if (e.damage) out.push({ file: e.name, problem: e.damage, pointId: e.id });
    if (await this.#intent()) return out; // a run is in progress or interrupted: the replica is between points
    const committed = entries.flatMap((e) => (e.value ? [e.value.point] : []));
    const keys = new Set(committed.flatMap((p) => p.members.flatMap((m) => m.disks.map((d) => d.key))));
    for (const key of keys) {
      const holder = latestWith(committed, key)!;
      const disk = holder.members.flatMap((m) => m.disks).find((d) => d.key === key)!;
      const snap = entries.find((e) => e.id === holder.id)?.value?.snapshots[key];
      if (!snap) continue;
      const changed = await this.#changedSince(key, snap, disk.sizeBytes);
      if (changed > 0)
        out.push({
          file: this.layout.replica(key),
          problem: `the replica of disk ${disk.name} was changed behind drkit's back since point ${holder.id} (${changed} bytes differ); the next replicate needs --resync`,
        });
    }
    return out;
  }

  /** Bytes of the replica that differ from a snapshot, over the pages written since it. */
  async #changedSince(key: string, snapshot: string, sizeBytes: number): Promise<number> {
    const blob = this.container.getPageBlobClient(this.layout.replica(key));
    let differ = 0;
    try {
      for await (const r of blob.listPageRangesDiff(0, roundUpToMiB(sizeBytes) + VHD_FOOTER_BYTES, snapshot)) {
        for (let at = r.start; at <= r.end; at += 4 << 20) {
          const length = Math.min(4 << 20, r.end + 1 - at);
          const [now, then] = await Promise.all([
            blob.downloadToBuffer(at, length, { concurrency: 1 }),
            blob.withSnapshot(snapshot).downloadToBuffer(at, length, { concurrency: 1 }),
          ]);
          if (!now.equals(then)) for (let i = 0; i < length; i++) if (now[i] !== then[i]) differ++;
        }
      }
    } catch (error) {
      if (isNotFound(error)) return sizeBytes;
      throw azureError(error, `checking the replica of disk ${key}`);
    }
    return differ;
  }

  async #lock(): Promise<void> {
    if (this.#lease) return;
    this.#lease = await acquireStoreLease(
      this.container,
      this.layout.lock,
      this.options.lockWaitMs ?? 20_000,
      this.options.signal,
    );
    if (this.#lease.tookOverFrom)
      this.warnings.push(
        `took over the store's lock from ${this.#lease.tookOverFrom}, which is gone (killed or crashed)`,
      );
  }

  async #intent(): Promise<AzureIntent | undefined> {
    try {
      const intent = JSON.parse(
        (await this.container.getBlockBlobClient(this.layout.intent).downloadToBuffer()).toString('utf8'),
      ) as AzureIntent;
      if (!isSafeName(intent.pointId) || !Array.isArray(intent.disks) || intent.disks.some((d) => !isSafeName(d?.key)))
        throw new DrkitError('integrity', `${this.layout.intent} does not describe a run; drkit will not write`);
      return intent;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      if (error instanceof SyntaxError)
        throw new DrkitError('integrity', `${this.layout.intent} is damaged; drkit will not write`);
      throw azureError(error, 'reading the run intent');
    }
  }

  async beginRun(plan: RunPlan): Promise<StoreRun> {
    if (new Set(plan.diskKeys).size !== plan.diskKeys.length)
      throw new DrkitError('bad-input', 'a run names the same disk twice');
    for (const key of plan.diskKeys)
      if (!isSafeName(key))
        throw new DrkitError('bad-input', `disk key ${JSON.stringify(key)} is not a blob name drkit writes`);
    await this.#lock();
    const pending = await this.#intent();
    let points = await readPoints(this.container, this.layout);
    const committed = () => points.flatMap((e) => (e.value ? [e.value.point] : []));
    const warnings: string[] = [];
    let resumed = false;
    if (pending) {
      const done = points.some((e) => e.id === pending.pointId);
      const same =
        pending.disks.length === plan.diskKeys.length && pending.disks.every((d) => plan.diskKeys.includes(d.key));
      if (done) {
        await this.#finishCommit(pending, points);
        this.warnings.push(`completed the commit of point ${pending.pointId} interrupted by a crash`);
      } else if (same) resumed = true;
      else {
        await this.rollback(pending);
        this.warnings.push(`rolled back run ${pending.runId}, interrupted before its commit`);
      }
      points = await readPoints(this.container, this.layout);
    }
    await this.#deleteOrphanSnapshots(points);
    let intent: AzureIntent;
    if (resumed) intent = pending!;
    else {
      intent = { runId: randomUUID(), pointId: randomUUID(), startedAt: new Date().toISOString(), disks: [] };
      for (const key of plan.diskKeys) {
        const holder = latestWith(committed(), key);
        const disk = holder?.members.flatMap((m) => m.disks).find((d) => d.key === key);
        // Asked only when a point names the disk: a new one is a first copy whatever is there.
        const hadReplica =
          !!disk &&
          (await this.container
            .getPageBlobClient(this.layout.replica(key))
            .exists()
            .catch((e: unknown) => {
              throw azureError(e, 'reading the store');
            }));
        // A first copy starts from nothing: blobs left by a lost replica would claim blocks it never writes.
        if (!hadReplica) await this.#dropDisk(key);
        intent.disks.push({ key, hadReplica, oldSize: hadReplica ? disk!.sizeBytes : 0 });
      }
      await this.#writeIntent(intent);
    }
    const nextSeq = Math.max(0, ...points.map((e) => e.seq)) + 1;
    return new AzureStoreRun(
      {
        container: this.container,
        layout: this.layout,
        blockSize: this.blockSize,
        lease: this.lease,
        writeIntentDone: () => this.#deleteIntent(),
        rollback: (i) => this.rollback(i),
      },
      intent,
      points,
      nextSeq,
      resumed,
      warnings,
      plan.repair === true,
    );
  }

  async #writeIntent(intent: AzureIntent): Promise<void> {
    const text = JSON.stringify(intent);
    try {
      await this.container.getBlockBlobClient(this.layout.intent).upload(text, Buffer.byteLength(text));
    } catch (error) {
      throw azureError(error, 'writing the run intent');
    }
  }

  async #deleteIntent(): Promise<void> {
    try {
      await this.container.getBlockBlobClient(this.layout.intent).deleteIfExists();
    } catch (error) {
      throw azureError(error, 'clearing the run intent');
    }
  }

  /** A crash after the manifest: the point stands; its disks' maps learn it, the intent goes. */
  async #finishCommit(intent: AzureIntent, points: PointEntry[]): Promise<void> {
    const seq = points.find((e) => e.id === intent.pointId)!.seq;
    for (const d of intent.disks) {
      const map = await ReplicaMap.load(this.container, this.layout, d.key, 0);
      try {
        await map.commit(seq);
      } finally {
        await map.close();
      }
    }
    await this.#deleteIntent();
  }

  /**
   * Undoes an uncommitted run: a disk new to the store is removed; any other gets back, from
   * its newest point's snapshot, every block the run touched (the map's log says which), and
   * its old size — so the replica is its newest point again.
   */
  async rollback(intent: AzureIntent): Promise<void> {
    const points = await readPoints(this.container, this.layout);
    const committed = points.flatMap((e) => (e.value ? [e.value.point] : []));
    for (const d of intent.disks) {
      if (!d.hadReplica) {
        await this.#dropDisk(d.key);
        continue;
      }
      const holder = latestWith(committed, d.key)!;
      const snap = points.find((e) => e.id === holder.id)?.value?.snapshots[d.key];
      if (!snap) throw new DrkitError('integrity', `disk ${d.key}: its newest point ${holder.id} names no snapshot`);
      const blob = this.container.getPageBlobClient(this.layout.replica(d.key));
      const from = blob.withSnapshot(snap);
      const bs = this.blockSize;
      const size = d.oldSize;
      const map = await ReplicaMap.load(this.container, this.layout, d.key, Math.ceil(size / bs));
      try {
        await shapeReplica(blob, d.key, (await blob.getProperties()).contentLength ?? 0, size);
        const blocks = Math.ceil(size / bs);
        for (const [first, count] of mergeRanges(map.touched)) {
          for (let at = first; at < Math.min(first + count, blocks); at += (4 << 20) / bs) {
            const n = Math.min((4 << 20) / bs, first + count - at, blocks - at);
            const offset = at * bs;
            const length = Math.min(n * bs, size - offset);
            const data = Buffer.alloc(Math.ceil(length / 512) * 512);
            await from.downloadToBuffer(data, offset, length, { concurrency: 1 });
            const hashes = blockHashes(data.subarray(0, length), bs);
            await map.markDirty([[at, n]]);
            if (data.every((b) => b === 0)) await blob.clearPages(offset, data.length);
            else await blob.uploadPages(data, offset, data.length);
            await map.setHashes([{ first: at, hashes }]);
          }
        }
        await map.commit(holder.seq);
        if (map.wantsCompaction) await map.compact();
      } catch (error) {
        throw azureError(error, `rolling back disk ${d.key}`);
      } finally {
        await map.close();
      }
    }
    await this.#deleteIntent();
  }

  /** Removes a disk's replica, map and logs (a first copy that never committed). */
  async #dropDisk(key: string): Promise<void> {
    try {
      for await (const b of this.container.listBlobsFlat({ prefix: this.layout.disk(key) }))
        await this.container.deleteBlob(b.name, { deleteSnapshots: 'include' });
    } catch (error) {
      if (!isNotFound(error)) throw azureError(error, `clearing disk ${key}`);
    }
  }

  /**
   * Snapshots no manifest names — a run that crashed between its snapshots and its manifest —
   * are deleted (under the lock, so no run is between those two steps).
   */
  async #deleteOrphanSnapshots(points: PointEntry[]): Promise<void> {
    const named = new Set(points.flatMap((e) => Object.entries(e.value?.snapshots ?? {}).map(([k, s]) => `${k}@${s}`)));
    try {
      for await (const b of this.container.listBlobsFlat({
        prefix: this.layout.disks,
        includeSnapshots: true,
        includeMetadata: true,
      })) {
        if (!b.snapshot || !b.name.endsWith('/disk.vhd')) continue;
        const key = b.name.slice(this.layout.disks.length, -'/disk.vhd'.length);
        if (named.has(`${key}@${b.snapshot}`)) continue;
        // A damaged manifest still owns its snapshots: never delete what a point may need.
        if (points.some((e) => e.damage && b.metadata?.drkitpoint === e.id)) continue;
        await this.container.getPageBlobClient(b.name).withSnapshot(b.snapshot).delete();
      }
    } catch (error) {
      throw azureError(error, 'removing snapshots no point names');
    }
  }

  async restore(pointId: string, outDir: string, options: RestoreOptions = {}): Promise<RestoreResult> {
    const entry = findPoint(await readPoints(this.container, this.layout), pointId);
    if (!entry.value)
      throw new DrkitError(
        'integrity',
        `point ${entry.id} cannot be restored: its manifest ${entry.name} is damaged (${entry.damage})`,
      );
    const { point, snapshots } = entry.value;
    return restoreImages(point, outDir, options, async (disk, path) => {
      const snap = snapshots[disk.key];
      if (!snap) throw new DrkitError('integrity', `point ${point.id} names no snapshot for disk ${disk.name}`);
      const file = await open(path, 'wx', 0o600);
      try {
        await file.truncate(disk.sizeBytes);
        const root = await readSnapshotDisk(this.#snapshot(disk.key, snap), disk, {
          ...options,
          sink: async (offset, data) => void (await file.write(data, 0, data.length, offset)),
        });
        if (root !== disk.root)
          throw new DrkitError(
            'integrity',
            `disk ${disk.name} of point ${point.id} does not match its checksums (snapshot ${snap})`,
          );
        if (options.durable !== false) await file.sync();
        return root;
      } finally {
        await file.close();
      }
    });
  }

  async verify(pointId?: string, options: OperationOptions = {}): Promise<VerifyResult[]> {
    const entries = await readPoints(this.container, this.layout);
    const chosen = pointId ? [findPoint(entries, pointId)] : entries;
    const out: VerifyResult[] = [];
    for (const e of chosen) {
      if (!e.value) {
        out.push({ pointId: e.id, ok: false, disks: [], damage: `manifest ${e.name}: ${e.damage}` });
        continue;
      }
      const disks: VerifyResult['disks'] = [];
      for (const disk of e.value.point.members.flatMap((m) => m.disks)) {
        const snap = e.value.snapshots[disk.key];
        try {
          if (!snap) throw new DrkitError('integrity', 'the point names no snapshot for it');
          const actual = await readSnapshotDisk(this.#snapshot(disk.key, snap), disk, options);
          disks.push({ key: disk.key, name: disk.name, ok: actual === disk.root, expected: disk.root, actual });
        } catch (error) {
          if (DrkitError.isInstance(error) && error.code === 'aborted') throw error;
          const reason = (error as Error).message;
          disks.push({ key: disk.key, name: disk.name, ok: false, expected: disk.root, actual: reason });
        }
      }
      out.push({ pointId: e.id, ok: disks.every((d) => d.ok), disks });
    }
    return out;
  }

  async stageFailover(pointId: string, options: OperationOptions = {}): Promise<StagedFailover> {
    const entry = findPoint(await readPoints(this.container, this.layout), pointId);
    if (!entry.value)
      throw new DrkitError(
        'integrity',
        `point ${entry.id} cannot be recovered: its manifest ${entry.name} is damaged (${entry.damage})`,
      );
    return stageFailover(this.container, this.layout, entry.value.point, entry.value.snapshots, options);
  }

  #snapshot(key: string, snapshot: string) {
    return this.container.getPageBlobClient(this.layout.replica(key)).withSnapshot(snapshot);
  }

  /** Drops the oldest points beyond the rule — manifest first, then its snapshots; never the newest. */
  async prune(rule: PruneRule): Promise<PruneResult> {
    await this.#lock();
    const entries = (await readPoints(this.container, this.layout)).filter((e) => e.value);
    const removed: string[] = [];
    let freedBytes = 0;
    const now = Date.now();
    for (let i = 0; i < entries.length - 1; i++) {
      const e = entries[i]!;
      const tooMany = rule.keep !== undefined && entries.length - removed.length > rule.keep;
      const tooOld = rule.olderThanMs !== undefined && now - Date.parse(e.value!.point.createdAt) > rule.olderThanMs;
      if (!tooMany && !tooOld) break;
      try {
        await this.container.deleteBlob(e.name);
        for (const [key, snap] of Object.entries(e.value!.snapshots)) {
          await this.#snapshot(key, snap).deleteIfExists();
        }
      } catch (error) {
        throw azureError(error, `pruning point ${e.id}`);
      }
      freedBytes += e.value!.point.members.flatMap((m) => m.disks).reduce((n, d) => n + d.bytesWritten, 0);
      removed.push(e.id);
    }
    return { removed, freedBytes };
  }

  async close(): Promise<void> {
    await this.#lease?.release();
    this.#lease = undefined;
    this.agent.destroy();
  }
}

function mergeRanges(ranges: Array<[number, number]>): Array<[number, number]> {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [first, count] of sorted) {
    const last = out.at(-1);
    if (last && first <= last[0] + last[1]) last[1] = Math.max(last[1], first + count - last[0]);
    else out.push([first, count]);
  }
  return out;
}
