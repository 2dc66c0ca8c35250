import { mkdir } from 'node:fs/promises';
import { DrkitError } from '@drkit/spec';
import { DirDiskWriter } from './dir-disk-writer.js';
import { pointManifest, type PointContent, type PointManifest } from './point-manifest.js';
import type { RunIntent } from './run-intent.js';
import { storeIoError } from './store-io.js';
import type { StoreLayout } from './store-layout.js';
import type { DiskWriter, StoreRun } from './target-store.js';

/** What a run needs of its store: the commit and rollback protocols live there. */
export interface RunHost {
  readonly blockSize: number;
  commitRun(intent: RunIntent, manifest: PointManifest, earlier: PointManifest[]): Promise<void>;
  rollbackRun(intent: RunIntent): Promise<void>;
}

export class DirStoreRun implements StoreRun {
  #writers = new Map<string, DirDiskWriter>();
  constructor(
    private readonly store: RunHost,
    private readonly layout: StoreLayout,
    private readonly intent: RunIntent,
    private readonly points: PointManifest[],
    /** The next point's number: past every point file, damaged ones too. */
    private readonly nextSeq: number,
    readonly resumed: boolean,
    /** Per disk, blocks found damaged before the run: a resync rewrites them. */
    private readonly damaged: Map<string, Uint8Array>,
    readonly warnings: string[],
  ) {}

  get id(): string {
    return this.intent.runId;
  }

  previous(key: string) {
    return latestWith(this.points, key)
      ?.members.flatMap((m) => m.disks)
      .find((d) => d.key === key);
  }

  async openDisk(key: string, sizeBytes: number): Promise<DiskWriter> {
    const entry = this.intent.disks.find((d) => d.key === key);
    if (!entry) throw new DrkitError('invalid-state', `disk ${key} is not part of this run`);
    try {
      await mkdir(this.layout.disk(key), { recursive: true });
      const writer = await DirDiskWriter.open(
        this.layout,
        key,
        sizeBytes,
        this.store.blockSize,
        entry.hadReplica,
        entry.oldSize,
        this.damaged.get(key),
      );
      this.#writers.set(key, writer);
      return writer;
    } catch (error) {
      throw storeIoError(error, this.layout.disk(key));
    }
  }

  async commit(point: PointContent): Promise<PointManifest> {
    for (const w of this.#writers.values()) await w.close();
    const manifest = pointManifest(this.intent.pointId, this.nextSeq, point, this.warnings);
    await this.store.commitRun(this.intent, manifest, this.points);
    return manifest;
  }

  async detach(): Promise<void> {
    for (const w of this.#writers.values()) await w.close().catch(() => {});
  }

  async abort(): Promise<void> {
    for (const w of this.#writers.values()) await w.close().catch(() => {});
    await this.store.rollbackRun(this.intent);
  }
}

export function latestWith(points: PointManifest[], key: string): PointManifest | undefined {
  for (let i = points.length - 1; i >= 0; i--)
    if (points[i]!.members.some((m) => m.disks.some((d) => d.key === key))) return points[i];
  return undefined;
}
