import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { DrkitError } from '../errors.js';
import { blockCrcs, DEFAULT_BLOCK_SIZE } from './block-hash.js';
import { BlockMap } from './block-map.js';
import { syncDir, writeFileAtomic } from './atomic-file.js';
import { DirDiskWriter } from './dir-disk-writer.js';
import { restorePoint, verifyPoint, type RestoreOptions } from './dir-store-restore.js';
import type { PointManifest } from './point-manifest.js';
import { readUndoJournal } from './undo-journal.js';
import type { RunIntent } from './run-intent.js';
import { repairTouchedBlocks } from './resume-repair.js';
import { StoreLayout } from './store-layout.js';
import type { DiskWriter, PruneResult, PruneRule, RestoreResult, RunPlan, StoreRun, TargetStore, VerifyResult } from './target-store.js';
import type { OperationOptions } from '../progress.js';

export interface DirStoreOptions {
  /** Block size for a new store. Default 4 KiB; an existing store keeps its own. */
  blockSize?: number;
}

/**
 * The local-filesystem target, built like a DR journal rather than a backup repository:
 * each disk's replica always holds the newest point (failover needs no reassembly), and
 * each older point is the replica with undo journals applied backwards.
 *
 * Crash safety: a run writes its intent, then per batch journals the old blocks (fsync)
 * before writing new ones in place; the point's manifest is committed atomically. An
 * interrupted run is either resumed by the next run over the same disks, or rolled back
 * by applying its undo records newest first — so the replica always matches a point.
 */
export async function openDirStore(path: string, options: DirStoreOptions = {}): Promise<DirStore> {
  const layout = new StoreLayout(path);
  await mkdir(layout.points, { recursive: true, mode: 0o700 });
  await mkdir(layout.staging, { recursive: true });
  let blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  try {
    const config = JSON.parse(await readFile(layout.config, 'utf8')) as { format: string; blockSize: number };
    if (config.format !== 'drkit-store/1') throw new DrkitError('bad-input', `${path}: unknown store format ${config.format}`);
    blockSize = config.blockSize;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await writeFileAtomic(layout.config, JSON.stringify({ format: 'drkit-store/1', blockSize }, null, 2));
  }
  await acquireLock(layout.lock);
  return new DirStore(layout, blockSize);
}

export class DirStore implements TargetStore {
  readonly warnings: string[] = [];
  constructor(
    private readonly layout: StoreLayout,
    readonly blockSize: number,
  ) {}

  get location(): string {
    return `dir:${this.layout.root}`;
  }

  async listPoints(): Promise<PointManifest[]> {
    await this.settle();
    return this.#readPoints();
  }

  async #readPoints(): Promise<PointManifest[]> {
    const names = (await readdir(this.layout.points)).filter((n) => /^\d{8}-.+\.json$/.test(n)).sort();
    return Promise.all(names.map(async (n) => JSON.parse(await readFile(`${this.layout.points}/${n}`, 'utf8')) as PointManifest));
  }

  async #pending(): Promise<RunIntent | undefined> {
    try {
      return JSON.parse(await readFile(this.layout.intent, 'utf8')) as RunIntent;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Finishes an interrupted run: forward if its manifest was committed, else back. */
  async settle(): Promise<void> {
    const intent = await this.#pending();
    if (!intent) return;
    const points = await this.#readPoints();
    const committed = points.find((p) => p.id === intent.pointId);
    if (committed) {
      await this.#finishCommit(intent, points.filter((p) => p.seq < committed.seq));
      this.warnings.push(`completed the commit of point ${intent.pointId} interrupted by a crash`);
    } else {
      await this.#rollback(intent);
      this.warnings.push(`rolled back run ${intent.runId}, interrupted before its commit`);
    }
  }

  async #rollback(intent: RunIntent): Promise<void> {
    for (const d of intent.disks) {
      if (!d.hadReplica) {
        await rm(this.layout.disk(d.key), { recursive: true, force: true });
        await rm(this.layout.stagedUndo(d.key), { force: true });
        continue;
      }
      await undoInto(this.layout, d.key, d.oldSize, this.blockSize);
      await rm(this.layout.stagedUndo(d.key), { force: true });
    }
    await rm(this.layout.intent, { force: true });
    await syncDir(this.layout.root);
  }

  async #finishCommit(intent: RunIntent, earlier: PointManifest[]): Promise<void> {
    for (const d of intent.disks) {
      const staged = this.layout.stagedUndo(d.key);
      const previous = latestWith(earlier, d.key);
      if (!d.hadReplica || !previous) {
        await rm(staged, { force: true });
        continue;
      }
      const exists = await stat(staged).then(() => true, () => false);
      if (!exists) continue; // moved before the crash
      await mkdir(this.layout.journalDir(previous.id), { recursive: true });
      await rename(staged, this.layout.journal(previous.id, d.key));
    }
    await rm(this.layout.intent, { force: true });
    await syncDir(this.layout.root);
  }

  async beginRun(plan: RunPlan): Promise<StoreRun> {
    const pending = await this.#pending();
    const sameDisks = pending && sameSet(pending.disks.map((d) => d.key), plan.diskKeys);
    // Settling moves journals and the replica, never a manifest: this list stays true.
    const committed = await this.#readPoints();
    const resumed = !!pending && !!sameDisks && !committed.some((p) => p.id === pending.pointId);
    if (pending && !resumed) await this.settle();
    if (resumed) await repairTouchedBlocks(this.layout, pending!, this.blockSize);
    const intent: RunIntent = resumed
      ? pending!
      : { runId: randomUUID(), pointId: randomUUID(), startedAt: new Date().toISOString(), disks: [] };
    if (!resumed) {
      for (const key of plan.diskKeys) {
        const size = await stat(this.layout.replica(key)).then((s) => s.size, () => -1);
        intent.disks.push({ key, hadReplica: size >= 0 && !!latestWith(committed, key), oldSize: Math.max(0, size) });
      }
      await writeFileAtomic(this.layout.intent, JSON.stringify(intent, null, 2));
    }
    return new DirStoreRun(this, this.layout, intent, committed, resumed);
  }

  async restore(pointId: string, outDir: string, options: RestoreOptions = {}): Promise<RestoreResult> {
    const points = await this.listPoints();
    return restorePoint(this.layout, points, pointId, outDir, options);
  }

  async verify(pointId?: string, options: OperationOptions = {}): Promise<VerifyResult[]> {
    const points = await this.listPoints();
    const chosen = pointId ? points.filter((p) => p.id === pointId) : points;
    if (pointId && chosen.length === 0) throw new DrkitError('not-found', `no recovery point ${pointId}`);
    const out: VerifyResult[] = [];
    for (const p of chosen) out.push(await verifyPoint(this.layout, points, p.id, options));
    return out;
  }

  async prune(rule: PruneRule): Promise<PruneResult> {
    const points = await this.listPoints();
    const removed: string[] = [];
    let freedBytes = 0;
    const now = Date.now();
    for (let i = 0; i < points.length - 1; i++) {
      const p = points[i]!;
      const tooMany = rule.keep !== undefined && points.length - removed.length > rule.keep;
      const tooOld = rule.olderThanMs !== undefined && now - Date.parse(p.createdAt) > rule.olderThanMs;
      if (!tooMany && !tooOld) break; // oldest first: once one stays, the newer ones stay too
      freedBytes += await dirBytes(this.layout.journalDir(p.id));
      // Manifest first: a crash in between leaves an orphan journal, never a listed point without its journal.
      await rm(this.layout.point(p.seq, p.id), { force: true });
      await syncDir(this.layout.points);
      await rm(this.layout.journalDir(p.id), { recursive: true, force: true });
      removed.push(p.id);
    }
    return { removed, freedBytes };
  }

  async close(): Promise<void> {
    await rm(this.layout.lock, { force: true });
  }

  /** For the run: publish the manifest, then move journals into place. */
  async commitRun(intent: RunIntent, manifest: PointManifest, earlier: PointManifest[]): Promise<void> {
    await writeFileAtomic(this.layout.point(manifest.seq, manifest.id), JSON.stringify(manifest, null, 2));
    await this.#finishCommit(intent, earlier);
  }

  async rollbackRun(intent: RunIntent): Promise<void> {
    await this.#rollback(intent);
  }
}

class DirStoreRun implements StoreRun {
  #writers = new Map<string, DirDiskWriter>();
  constructor(
    private readonly store: DirStore,
    private readonly layout: StoreLayout,
    private readonly intent: RunIntent,
    private readonly points: PointManifest[],
    readonly resumed: boolean,
  ) {}

  get id(): string {
    return this.intent.runId;
  }

  previous(key: string) {
    return latestWith(this.points, key)?.members.flatMap((m) => m.disks).find((d) => d.key === key);
  }

  async openDisk(key: string, sizeBytes: number): Promise<DiskWriter> {
    const entry = this.intent.disks.find((d) => d.key === key);
    if (!entry) throw new DrkitError('invalid-state', `disk ${key} is not part of this run`);
    await mkdir(this.layout.disk(key), { recursive: true });
    const writer = await DirDiskWriter.open(this.layout, key, sizeBytes, this.store.blockSize, entry.hadReplica, entry.oldSize);
    this.#writers.set(key, writer);
    return writer;
  }

  async commit(point: Omit<PointManifest, 'format' | 'id' | 'seq' | 'createdAt'>): Promise<PointManifest> {
    for (const w of this.#writers.values()) await w.close();
    const manifest: PointManifest = {
      format: 'drkit-point/1',
      id: this.intent.pointId,
      seq: (this.points.at(-1)?.seq ?? 0) + 1,
      createdAt: new Date().toISOString(),
      ...point,
    };
    await this.store.commitRun(this.intent, manifest, this.points);
    return manifest;
  }

  async abort(): Promise<void> {
    for (const w of this.#writers.values()) await w.close().catch(() => {});
    await this.store.rollbackRun(this.intent);
  }
}

/**
 * Rebuilds a disk as it was before a run: its undo records applied newest first (replica
 * data, SHA-256 and CRC entries), then replica and maps cut back to the old size — also
 * when the run died before journaling anything, so a grown replica shrinks back.
 */
async function undoInto(layout: StoreLayout, key: string, oldSize: number, blockSize: number): Promise<void> {
  const replica = await open(layout.replica(key), 'r+');
  const blocks = Math.ceil(Math.max((await replica.stat()).size, oldSize) / blockSize);
  const map = await BlockMap.open(layout.map(key), blocks);
  const crcs = await BlockMap.open(layout.crc(key), blocks, 4);
  try {
    const journal = await readUndoJournal(layout.stagedUndo(key)).catch(() => undefined);
    for await (const r of journal?.reverse() ?? []) {
      await replica.write(r.data, 0, r.data.length, r.offset);
      await map.write(r.offset / blockSize, Buffer.from(r.hash));
      // A disk's last block may be short: its CRC covers its real length, not the padding.
      await crcs.write(r.offset / blockSize, blockCrcs(r.data.subarray(0, Math.min(blockSize, oldSize - r.offset)), blockSize));
    }
    await replica.truncate(oldSize);
    await replica.sync();
    for (const m of [map, crcs]) {
      await m.resize(Math.ceil(oldSize / blockSize));
      await m.sync();
    }
  } finally {
    await replica.close();
    await map.close();
    await crcs.close();
  }
}

export function latestWith(points: PointManifest[], key: string): PointManifest | undefined {
  for (let i = points.length - 1; i >= 0; i--) if (points[i]!.members.some((m) => m.disks.some((d) => d.key === key))) return points[i];
  return undefined;
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

async function acquireLock(path: string): Promise<void> {
  try {
    const f = await open(path, 'wx', 0o600);
    await f.writeFile(String(process.pid));
    await f.close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const pid = Number(await readFile(path, 'utf8').catch(() => ''));
    if (pid && pid !== process.pid && isAlive(pid)) throw new DrkitError('busy', `store is in use by process ${pid}`);
    await rm(path, { force: true });
    return acquireLock(path);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function dirBytes(path: string): Promise<number> {
  const names = await readdir(path).catch(() => [] as string[]);
  let total = 0;
  for (const n of names) total += (await stat(`${path}/${n}`)).blocks * 512;
  return total;
}
