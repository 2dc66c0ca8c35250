import type { ContainerClient } from '@azure/storage-blob';
import {
  DrkitError,
  latestWith,
  roundUpToMiB,
  VHD_FOOTER_BYTES,
  type DiskWriter,
  pointManifest,
  type PointContent,
  type PointManifest,
  type StoreRun,
} from '@drkit/core';
import { azureError } from './azure-errors.js';
import type { AzureLayout } from './azure-layout.js';
import { PageWriter } from './page-writer.js';
import { shapeReplica } from './replica-blob.js';
import type { AzurePoint, PointEntry } from './point-blobs.js';
import { ReplicaMap, UNKNOWN_ENTRY } from './replica-map.js';
import { blobBlockHashes } from './snapshot-reader.js';
import type { StoreLease } from './store-lease.js';

/** An Azure page blob holds at most 8 TiB. */
export const MAX_PAGE_BLOB = 8 * 2 ** 40;

export interface AzureIntent {
  runId: string;
  pointId: string;
  startedAt: string;
  disks: Array<{ key: string; hadReplica: boolean; oldSize: number }>;
}

/** What a run needs of its store. */
export interface AzureRunHost {
  readonly container: ContainerClient;
  readonly layout: AzureLayout;
  readonly blockSize: number;
  readonly lease: StoreLease;
  writeIntentDone(): Promise<void>;
  rollback(intent: AzureIntent): Promise<void>;
}

export class AzureStoreRun implements StoreRun {
  #maps = new Map<string, ReplicaMap>();
  #writers = new Map<string, PageWriter>();
  constructor(
    private readonly host: AzureRunHost,
    private readonly intent: AzureIntent,
    private readonly points: PointEntry[],
    private readonly nextSeq: number,
    readonly resumed: boolean,
    readonly warnings: string[],
    /** Heal replica damage found before the run (a resync) instead of refusing. */
    private readonly repair: boolean,
  ) {}

  get id(): string {
    return this.intent.runId;
  }

  #committed(): PointManifest[] {
    return this.points.flatMap((e) => (e.value ? [e.value.point] : []));
  }

  previous(key: string) {
    return latestWith(this.#committed(), key)
      ?.members.flatMap((m) => m.disks)
      .find((d) => d.key === key);
  }

  /** The snapshot of a disk's newest committed point. */
  #lastSnapshot(key: string): string | undefined {
    const holder = latestWith(this.#committed(), key);
    return holder ? this.points.find((e) => e.id === holder.id)?.value?.snapshots[key] : undefined;
  }

  async openDisk(key: string, sizeBytes: number): Promise<DiskWriter> {
    const entry = this.intent.disks.find((d) => d.key === key);
    if (!entry) throw new DrkitError('invalid-state', `disk ${key} is not part of this run`);
    const rounded = roundUpToMiB(sizeBytes);
    if (rounded + VHD_FOOTER_BYTES > MAX_PAGE_BLOB)
      throw new DrkitError(
        'bad-input',
        `disk ${key} is ${sizeBytes} bytes: an Azure page blob holds at most 8 TiB (the disk rounded up to 1 MiB plus the 512-byte VHD footer)`,
      );
    const bs = this.host.blockSize;
    const blob = this.host.container.getPageBlobClient(this.host.layout.replica(key));
    // The map and the blob's size are read at once: two round trips in the time of one.
    const [loaded, size] = await Promise.allSettled([
      ReplicaMap.load(this.host.container, this.host.layout, key, Math.ceil(Math.max(sizeBytes, entry.oldSize) / bs)),
      blob.getProperties().then(
        (p) => p.contentLength ?? 0,
        (error: { statusCode?: number }) => {
          if (error.statusCode === 404) return -1;
          throw azureError(error, `preparing disk blob ${this.host.layout.replica(key)}`);
        },
      ),
    ]);
    // Kept before any failure is thrown: the run closes every map it holds.
    if (loaded.status === 'fulfilled') this.#maps.set(key, loaded.value);
    if (loaded.status === 'rejected') throw loaded.reason;
    if (size.status === 'rejected') throw size.reason;
    const map = loaded.value;
    const current = size.value;
    try {
      // Checked as the newest point left it, before this run resizes anything (a resumed run
      // too: a run that failed on damage must not be resumed past it).
      if (entry.hadReplica) await this.#checkReplica(key, blob, map, Math.min(entry.oldSize, sizeBytes, current - 512));
      await shapeReplica(blob, key, current, sizeBytes);
      await map.local.resize(Math.ceil(sizeBytes / bs));
      // A new size cuts or extends the last block: its checksum no longer says what it holds.
      if (entry.hadReplica && sizeBytes !== entry.oldSize && sizeBytes % bs !== 0)
        await map.local.write(Math.floor(sizeBytes / bs), UNKNOWN_ENTRY);
    } catch (error) {
      throw azureError(error, `preparing disk blob ${this.host.layout.replica(key)}`);
    }
    const writer = new PageWriter(blob, map, bs, entry.hadReplica, entry.oldSize, sizeBytes, {
      leaseLost: () => this.host.lease.lost(),
    });
    this.#writers.set(key, writer);
    return writer;
  }

  /**
   * Pages written to the replica since its newest snapshot, when no run of ours was writing,
   * were written behind drkit's back: each is compared with the map, and a block that differs
   * refuses the run — or, in a resync, is marked unknown so the engine rewrites it.
   */
  async #checkReplica(
    key: string,
    blob: ReturnType<ContainerClient['getPageBlobClient']>,
    map: ReplicaMap,
    sizeBytes: number,
  ): Promise<void> {
    const snapshot = this.#lastSnapshot(key);
    if (!snapshot) return;
    const bs = this.host.blockSize;
    const ranges: Array<{ start: number; end: number }> = [];
    for await (const r of blob.listPageRangesDiff(0, Math.ceil(sizeBytes / 512) * 512, snapshot)) ranges.push(r);
    // Blocks, once each (a service may report one page in a written and a cleared range).
    const blocks = new Set<number>();
    // Whole blocks only: a size change cuts the last one, and marks it unknown anyway.
    const last = Math.floor(sizeBytes / bs) - 1;
    for (const r of ranges)
      for (let b = Math.floor(r.start / bs); b <= Math.min(last, Math.floor(r.end / bs)); b++) blocks.add(b);
    let bad = 0;
    const per = (4 << 20) / bs;
    for (const [first, count] of blockRuns(
      [...blocks].sort((x, y) => x - y),
      per,
    )) {
      const expected = await map.local.read(first, count);
      const actual = await blobBlockHashes(blob, first, count, bs, sizeBytes);
      for (let i = 0; i < count; i++) {
        const e = expected.subarray(i * 32, (i + 1) * 32);
        // Unknown: an interrupted run's block that never landed; the engine rewrites it.
        if (e.equals(UNKNOWN_ENTRY) || e.equals(actual.subarray(i * 32, (i + 1) * 32))) continue;
        bad++;
        if (this.repair) await map.local.write(first + i, UNKNOWN_ENTRY);
      }
    }
    if (bad === 0) return;
    const what = `the replica of disk ${key} was changed behind drkit's back: ${bad} blocks differ from its newest point`;
    if (!this.repair)
      throw new DrkitError('integrity', `${what}. A resync (drkit replicate --resync) rewrites them from the source`, {
        details: { resyncNeeded: true },
      });
    this.warnings.push(`${what}; healed by this resync`);
  }

  async commit(point: PointContent): Promise<PointManifest> {
    for (const w of this.#writers.values()) await w.finish();
    const { container, layout } = this.host;
    const manifest = pointManifest(this.intent.pointId, this.nextSeq, point, this.warnings);
    const lost = this.host.lease.lost();
    if (lost) throw lost;
    // Every block has landed: a snapshot per disk, then the manifest that makes them a point.
    const snapshots: Record<string, string> = {};
    try {
      await Promise.all(
        this.intent.disks.map(async (d) => {
          const r = await container
            .getPageBlobClient(layout.replica(d.key))
            .createSnapshot({ metadata: { drkitpoint: manifest.id } });
          snapshots[d.key] = r.snapshot!;
        }),
      );
      const body: AzurePoint = { format: 'drkit-azure-point/1', point: manifest, snapshots };
      const text = JSON.stringify(body);
      await container
        .getBlockBlobClient(layout.point(manifest.seq, manifest.id))
        .upload(text, Buffer.byteLength(text), {
          blobHTTPHeaders: { blobContentType: 'application/json' },
        });
    } catch (error) {
      throw azureError(error, `committing point ${manifest.id}`);
    }
    for (const map of this.#maps.values()) {
      await map.commit(manifest.seq);
      if (map.wantsCompaction) await map.compact();
    }
    await this.host.writeIntentDone();
    await this.#closeMaps();
    return manifest;
  }

  async detach(): Promise<void> {
    for (const w of this.#writers.values()) await w.drain();
    // What landed is logged, so a resumed run does not send it again — never once the lease is gone.
    if (!this.host.lease.lost()) for (const m of this.#maps.values()) await m.logHashes().catch(() => {});
    await this.#closeMaps();
  }

  async abort(): Promise<void> {
    await this.detach();
    await this.host.rollback(this.intent);
  }

  async #closeMaps(): Promise<void> {
    for (const m of this.#maps.values()) await m.close();
    this.#maps.clear();
  }
}

/** Sorted block numbers as [first, count] runs of at most `max` blocks (one read each). */
function blockRuns(sorted: number[], max: number): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const b of sorted) {
    const last = runs.at(-1);
    if (last && last[0] + last[1] === b && last[1] < max) last[1]++;
    else runs.push([b, 1]);
  }
  return runs;
}
