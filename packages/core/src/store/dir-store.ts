import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DrkitError } from '@drkit/spec';
import type { OperationOptions } from '@drkit/spec';
import { syncDir } from './atomic-file.js';
import { restorePoint, verifyPoint, type RestoreOptions } from './dir-store-restore.js';
import { DirStoreRun, latestWith } from './dir-store-run.js';
import type { PointManifest } from './point-manifest.js';
import { readPointDisk, recyclePointChunk } from './point-reader.js';
import { findSlot, readPointSlots, type PointSlot } from './point-files.js';
import { replicaSealed, scanReplica, sealedPoint, sealReplica } from './replica-health.js';
import { repairTouchedBlocks } from './resume-repair.js';
import type { RunIntent } from './run-intent.js';
import { readSealedJson, writeSealedJson } from './sealed-json.js';
import { readStoreConfig, writeStoreConfig, type StoreConfig } from './store-config.js';
import { storeIoError } from './store-io.js';
import { StoreLayout } from './store-layout.js';
import { lockStore, type StoreLock } from './store-lock.js';
import { isSafeName } from './store-names.js';
import type {
  PruneResult,
  PruneRule,
  RestoreResult,
  RunPlan,
  StoreFinding,
  StoreRun,
  TargetStore,
  VerifyResult,
} from './target-store.js';
import { undoInto } from './undo-apply.js';

export { latestWith } from './dir-store-run.js';

export interface DirStoreOptions {
  /** Block size for a new store. Default 4 KiB; an existing store keeps its own. */
  blockSize?: number;
}

/**
 * The local-filesystem target, built like a DR journal rather than a backup repository:
 * each disk's replica always holds the newest point (failover needs no reassembly), and
 * each older point is the replica with undo journals applied backwards.
 *
 * Crash safety: a run writes its intent, then per batch journals the old blocks (fsync,
 * every byte confirmed) before writing new ones in place; the point's manifest is committed
 * atomically. An interrupted run is either resumed by the next run over the same disks, or
 * rolled back by applying its undo records newest first — so the replica always matches a
 * point. Damage made behind the store's back is found, never built upon (replica-health.ts),
 * and one damaged file costs only the points that need it.
 */
export async function openDirStore(path: string, options: DirStoreOptions = {}): Promise<DirStore> {
  const layout = new StoreLayout(path);
  try {
    await mkdir(layout.points, { recursive: true, mode: 0o700 });
    await mkdir(layout.staging, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'EEXIST')
      throw new DrkitError('bad-input', `${path} is not a folder`, { cause: error });
    throw storeIoError(error, path);
  }
  const lock = await lockStore(path, layout.lock);
  try {
    // The points are read only when store.json is missing or damaged (every command opens a store).
    const config = await readStoreConfig(layout, () => readPointSlots(layout), options.blockSize);
    return new DirStore(layout, config, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

export class DirStore implements TargetStore {
  readonly warnings: string[] = [];
  readonly blockSize: number;
  #configDamage: string | undefined;
  constructor(
    private readonly layout: StoreLayout,
    config: StoreConfig,
    private readonly lock: StoreLock,
  ) {
    this.blockSize = config.blockSize;
    this.#configDamage = config.damage;
  }

  get location(): string {
    return `dir:${this.layout.root}`;
  }

  /** Intact points, oldest first (damaged ones are findings: see `findings`). */
  async listPoints(): Promise<PointManifest[]> {
    await this.settle();
    return intact(await readPointSlots(this.layout));
  }

  /** What is damaged in the store, file by file, with the points it costs. */
  async findings(): Promise<StoreFinding[]> {
    const out: StoreFinding[] = [];
    if (this.#configDamage) out.push({ file: this.layout.config, problem: this.#configDamage });
    const intent = await this.#intent();
    if (intent.damage)
      out.push({ file: this.layout.intent, problem: `${intent.damage}; an interrupted run could not be settled` });
    const slots = await readPointSlots(this.layout);
    for (const s of slots) if (s.damage) out.push({ file: s.path, problem: s.damage, pointId: s.id });
    out.push(...(await this.#missingPoints(slots)));
    return out;
  }

  /**
   * Points whose manifest is gone but whose traces remain: a journal folder with no point
   * file (a manifest deleted, or a prune cut short between its two steps), or a replica
   * sealed at a point that is no longer listed.
   */
  async #missingPoints(slots: PointSlot[]): Promise<StoreFinding[]> {
    const known = (id: string) => slots.some((s) => s.id === id);
    const out: StoreFinding[] = [];
    for (const id of await readdir(this.layout.journals).catch(() => [] as string[])) {
      if (isSafeName(id) && !known(id))
        out.push({
          file: this.layout.journalDir(id),
          problem: 'belongs to no point: its manifest is missing',
          pointId: id,
        });
    }
    for (const key of await readdir(join(this.layout.root, 'disks')).catch(() => [] as string[])) {
      const id = isSafeName(key) ? await sealedPoint(this.layout, key) : undefined;
      if (id && isSafeName(id) && !known(id) && !out.some((f) => f.pointId === id)) {
        out.push({
          file: this.layout.seal(key),
          problem: `the replica holds point ${id}, whose manifest is missing`,
          pointId: id,
        });
      }
    }
    return out;
  }

  async #intent(): Promise<{ intent?: RunIntent; damage?: string }> {
    try {
      const read = await readSealedJson(this.layout.intent);
      if (!read.ok) return { damage: `run.json is damaged: ${read.reason}` };
      const intent = read.value as RunIntent;
      const bad =
        !isSafeName(intent.pointId) ||
        !Array.isArray(intent.disks) ||
        intent.disks.some((d) => !isSafeName(d?.key) || !Number.isSafeInteger(d.oldSize));
      return bad ? { damage: 'run.json does not describe a run' } : { intent };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw storeIoError(error, this.layout.intent);
    }
  }

  /**
   * Finishes an interrupted run: forward if its manifest was committed, else back. A
   * damaged intent cannot be settled safely: readers go on (their checks show what it
   * cost), a writing run refuses.
   */
  async settle(options: { forWriting?: boolean } = {}): Promise<void> {
    const { intent, damage } = await this.#intent();
    if (damage) {
      if (options.forWriting) throw unsettled(damage);
      return;
    }
    if (!intent) return;
    const points = intact(await readPointSlots(this.layout));
    const committed = points.find((p) => p.id === intent.pointId);
    if (committed) {
      await this.#finishCommit(
        intent,
        points.filter((p) => p.seq < committed.seq),
      );
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
      const exists = await stat(staged).then(
        () => true,
        () => false,
      );
      if (!exists) continue; // moved before the crash
      await mkdir(this.layout.journalDir(previous.id), { recursive: true });
      await rename(staged, this.layout.journal(previous.id, d.key));
    }
    await rm(this.layout.intent, { force: true });
    await syncDir(this.layout.root);
  }

  async beginRun(plan: RunPlan): Promise<StoreRun> {
    if (new Set(plan.diskKeys).size !== plan.diskKeys.length)
      throw new DrkitError('bad-input', 'a run names the same disk twice');
    for (const key of plan.diskKeys)
      if (!isSafeName(key)) throw new DrkitError('bad-input', `disk key ${JSON.stringify(key)} is not a file name`);
    const { intent: pending, damage } = await this.#intent();
    if (damage) throw unsettled(damage);
    const slots = await readPointSlots(this.layout);
    // Settling moves journals and the replica, never a manifest: this list stays true.
    const committed = intact(slots);
    const sameDisks =
      pending &&
      sameSet(
        pending.disks.map((d) => d.key),
        plan.diskKeys,
      );
    const resumed = !!pending && !!sameDisks && !committed.some((p) => p.id === pending.pointId);
    if (pending && !resumed) await this.settle({ forWriting: true });
    const warnings: string[] = [];
    if (this.#configDamage) {
      await writeStoreConfig(this.layout, this.blockSize);
      warnings.push(`store.json was damaged (${this.#configDamage}); rewritten with block size ${this.blockSize}`);
      this.#configDamage = undefined;
    }
    await this.#refuseDamagedHolders(plan.diskKeys, slots);
    if (resumed) await repairTouchedBlocks(this.layout, pending!, this.blockSize);
    const damaged = resumed ? new Map<string, Uint8Array>() : await this.#checkReplicas(plan, committed, warnings);
    const intent: RunIntent = resumed
      ? pending!
      : { runId: randomUUID(), pointId: randomUUID(), startedAt: new Date().toISOString(), disks: [] };
    if (!resumed) {
      for (const key of plan.diskKeys) {
        const size = await stat(this.layout.replica(key)).then(
          (s) => s.size,
          () => -1,
        );
        const hadReplica = size >= 0 && !!latestWith(committed, key);
        // A first copy starts from nothing: maps left by a lost replica would claim blocks it never writes.
        if (!hadReplica) await rm(this.layout.disk(key), { recursive: true, force: true });
        intent.disks.push({ key, hadReplica, oldSize: hadReplica ? size : 0 });
      }
      await writeSealedJson(this.layout.intent, intent);
    }
    const nextSeq = Math.max(0, ...slots.map((s) => s.seq)) + 1;
    return new DirStoreRun(this, this.layout, intent, committed, nextSeq, resumed, damaged, warnings);
  }

  /**
   * A disk whose newest point's manifest is damaged cannot be continued: its size, token
   * and root are unknown. Known when a damaged file is newer than every intact holder and
   * the disk's folder is there (an intact holder with a journal was followed by a newer one).
   */
  async #refuseDamagedHolders(keys: string[], slots: PointSlot[]): Promise<void> {
    for (const key of keys) {
      const holder = latestWith(intact(slots), key);
      const diskThere = await stat(this.layout.disk(key)).then(
        () => true,
        () => false,
      );
      // A journal for the newest intact holder means a newer point held the disk.
      const followed = holder
        ? await stat(this.layout.journal(holder.id, key)).then(
            () => true,
            () => false,
          )
        : diskThere;
      if (!followed) continue;
      const newer = slots.filter((s) => s.damage && (!holder || s.seq > holder.seq));
      const why =
        newer.length > 0
          ? `point ${newer.at(-1)!.id} is damaged (${newer.at(-1)!.damage})`
          : `the manifest of its newest point${await this.#sealedId(key)} is missing`;
      if (newer.length > 0 || holder)
        throw new DrkitError(
          'integrity',
          `disk ${key}: ${why}; drkit will not write over that point. Run drkit verify`,
        );
    }
  }

  async #sealedId(key: string): Promise<string> {
    const id = await sealedPoint(this.layout, key);
    return id ? ` (${id})` : '';
  }

  /** Checks each continued replica (see replica-health.ts); returns the damage a resync will heal. */
  async #checkReplicas(
    plan: RunPlan,
    committed: PointManifest[],
    warnings: string[],
  ): Promise<Map<string, Uint8Array>> {
    const damaged = new Map<string, Uint8Array>();
    for (const key of plan.diskKeys) {
      const disk = latestWith(committed, key)
        ?.members.flatMap((m) => m.disks)
        .find((d) => d.key === key);
      if (!disk || (await replicaSealed(this.layout, key))) continue;
      const scan = await scanReplica(this.layout, disk);
      if (scan.problems.length === 0) {
        await sealReplica(this.layout, key, latestWith(committed, key)!.id);
        continue;
      }
      const what = `the replica of disk ${disk.name} (${key}) is damaged: ${scan.problems.join('; ')}`;
      if (!plan.repair)
        throw new DrkitError(
          'integrity',
          `${what}. A resync (drkit replicate --resync) rewrites what differs from the source; drkit verify lists the points it costs`,
          { details: { resyncNeeded: true } },
        );
      if (scan.badBlocks) damaged.set(key, scan.badBlocks);
      warnings.push(`${what}; healed by this resync`);
    }
    return damaged;
  }

  async restore(pointId: string, outDir: string, options: RestoreOptions = {}): Promise<RestoreResult> {
    await this.settle();
    return restorePoint(this.layout, await readPointSlots(this.layout), pointId, outDir, options);
  }

  recyclePointChunk(chunk: Uint8Array): void {
    recyclePointChunk(chunk);
  }

  /** One disk of a point as checked 4 MiB chunks, read once (see readPointDisk): what a recovery uploads. */
  async *readPointDisk(pointId: string, key: string, options: OperationOptions = {}): AsyncGenerator<Buffer> {
    await this.settle();
    const slots = await readPointSlots(this.layout);
    const point = findSlot(slots, pointId).manifest;
    if (!point) throw new DrkitError('integrity', `point ${pointId}: its manifest is damaged`);
    const disk = point.members.flatMap((m) => m.disks).find((d) => d.key === key);
    if (!disk) throw new DrkitError('not-found', `point ${point.id} has no disk ${key}`);
    yield* readPointDisk(this.layout, slots, point, disk, options);
  }

  /** Every point (or the one named, by id or a unique prefix), each with its own verdict. */
  async verify(pointId?: string, options: OperationOptions = {}): Promise<VerifyResult[]> {
    await this.settle();
    const slots = await readPointSlots(this.layout);
    const chosen = pointId ? [findSlot(slots, pointId)] : slots;
    const out: VerifyResult[] = [];
    if (!pointId)
      for (const f of await this.#missingPoints(slots))
        out.push({ pointId: f.pointId!, ok: false, disks: [], damage: `${f.file}: ${f.problem}` });
    for (const s of chosen) {
      if (!s.manifest) out.push({ pointId: s.id, ok: false, disks: [], damage: `manifest ${s.path}: ${s.damage}` });
      else out.push(await verifyPoint(this.layout, slots, s.manifest, options));
    }
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
    await this.lock.release();
  }

  /** For the run: publish the manifest, move journals into place, seal the replicas. */
  async commitRun(intent: RunIntent, manifest: PointManifest, earlier: PointManifest[]): Promise<void> {
    await writeSealedJson(this.layout.point(manifest.seq, manifest.id), manifest);
    await this.#finishCommit(intent, earlier);
    for (const d of intent.disks) await sealReplica(this.layout, d.key, manifest.id);
  }

  async rollbackRun(intent: RunIntent): Promise<void> {
    await this.#rollback(intent);
  }
}

/** A writing run over an intent it cannot read. */
function unsettled(damage: string): DrkitError {
  return new DrkitError(
    'integrity',
    `${damage}: drkit cannot tell what the interrupted run changed, so it will not write; run drkit verify`,
  );
}

function intact(slots: PointSlot[]): PointManifest[] {
  return slots.flatMap((s) => (s.manifest ? [s.manifest] : []));
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

async function dirBytes(path: string): Promise<number> {
  const names = await readdir(path).catch(() => [] as string[]);
  let total = 0;
  for (const n of names) total += (await stat(`${path}/${n}`)).blocks * 512;
  return total;
}
