import type { OperationOptions } from '@drkit/spec';
import type { PointContent, PointManifest, PointDisk, PointMember } from './point-manifest.js';

/**
 * Where replicas and recovery points live: the local `dir:` store (replica + undo
 * journals) and the Azure store (page blob + blob snapshots, @drkit/azure) implement it.
 * The engine, resync by checksums and the restore output are the core's, shared by both.
 */
export interface TargetStore {
  readonly location: string;
  /** What the store did on its own that the user should hear (a crashed run settled). */
  readonly warnings: string[];
  /** Damaged store files and the points they cost, where the store can tell. */
  findings?(): Promise<StoreFinding[]>;
  /** Points, oldest first. Settles an interrupted run first (see DirStore). */
  listPoints(): Promise<PointManifest[]>;
  beginRun(plan: RunPlan): Promise<StoreRun>;
  /** One image per disk under `outDir` (see restore-output.ts), every block checked. */
  restore(pointId: string, outDir: string, options?: RestoreOptions): Promise<RestoreResult>;
  verify(pointId?: string, options?: OperationOptions): Promise<VerifyResult[]>;
  /**
   * One disk of a point as a stream of its bytes, every block checked before it is handed on
   * (an `integrity` error ends it, never wrong data): a recovery uploads it with no local copy.
   * Absent: the caller restores the point to images instead.
   */
  readPointDisk?(pointId: string, key: string, options?: OperationOptions): AsyncIterable<Buffer>;
  /**
   * Hands back a chunk `readPointDisk` yielded, once the caller is done with it and holds no
   * view of it: the next reads land in that memory instead of new (allocating gigabytes of
   * chunks for an upload cost a recovery seconds of garbage collection and page faults).
   */
  recyclePointChunk?(chunk: Uint8Array): void;
  /**
   * Failover in the store's own platform, as far as storage goes: standalone copies of a
   * point's disks that the platform can boot from (Azure: managed-disk-ready VHD page
   * blobs), each checked, and what is left to do there. Absent: the store has no platform
   * of its own (a `dir:` store restores images instead).
   */
  stageFailover?(pointId: string, options?: OperationOptions): Promise<StagedFailover>;
  /** Drops the oldest points beyond `keep` or older than `olderThanMs`; never the newest. */
  prune(rule: PruneRule): Promise<PruneResult>;
  close(): Promise<void>;
}

export interface RunPlan {
  /** Every disk the run will write, by store key. */
  diskKeys: string[];
  /**
   * The run compares every block (a resync): a replica found damaged may then be healed —
   * its bad blocks rewritten from the source. Without it, a damaged replica refuses the run.
   */
  repair?: boolean;
}

export interface StoreRun {
  readonly id: string;
  /** True when this run continues one a crash interrupted. */
  readonly resumed: boolean;
  /** What the store did before the run that the point should say (a healed replica). */
  readonly warnings?: string[];
  /** The newest committed point holding this disk, if any: its token drives the delta. */
  previous(key: string): PointDisk | undefined;
  openDisk(key: string, sizeBytes: number): Promise<DiskWriter>;
  commit(point: PointContent): Promise<PointManifest>;
  /** Rolls back everything this run wrote. */
  abort(): Promise<void>;
  /** Stops a failed run without undoing it: files closed, its journal kept for the next run to resume. */
  detach?(): Promise<void>;
}

export interface BlocksAccepted {
  undoBytes: number;
  /**
   * Present when the writer still reads the blocks' data after returning (it sends them from
   * the caller's memory rather than copying them): the caller must not reuse that memory until
   * this settles. It never rejects; a failed write surfaces through the writer's next call.
   */
  released?: Promise<void>;
}

export interface DiskWriter {
  readonly blockSize: number;
  /** False the first time the store sees this disk. */
  readonly hasReplica: boolean;
  readonly previousSize: number;
  readMap(firstBlock: number, count: number): Promise<Buffer>;
  /**
   * Journals the current content of these blocks (fsync), then writes the new data and
   * checksums in place. Each item is one or more whole blocks from block `index` (only the
   * disk's last block may be short), with one 32-byte checksum per block in `hash`.
   */
  writeBlocks(blocks: Array<{ index: number; data: Buffer; hash: Buffer }>): Promise<BlocksAccepted>;
  /** Fails (`no-space`) before any write when the store cannot take `bytes` of planned changes. */
  reserve?(bytes: number): Promise<void>;
  /** Flushes and returns the root of the disk at this run. */
  finish(): Promise<string>;
}

/**
 * How a restored disk is written: the raw image; a fixed VHD (the raw image and a 512-byte
 * footer, written by drkit); or VHDX, VMDK (stream-optimized) or qcow2, converted by qemu-img.
 */
export const IMAGE_FORMATS = ['raw', 'vhd', 'vhdx', 'vmdk', 'qcow2'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

export interface RestoreOptions extends OperationOptions {
  /** fsync every image before returning. Default true. */
  durable?: boolean;
  /** Write into a folder that is not empty, replacing images of the same names. Default false. */
  force?: boolean;
  /** Default raw (`.img`); otherwise the format's own extension (`.vhd`, `.vhdx`, `.vmdk`, `.qcow2`). */
  format?: ImageFormat;
}

export interface RestoreResult {
  pointId: string;
  files: Array<{ machine: string; disk: string; path: string; sizeBytes: number; root: string }>;
}

export interface StagedFailover {
  pointId: string;
  disks: Array<{ machine: string; disk: string; sizeBytes: number; root: string; location: string }>;
  /** Commands that finish the failover on the platform (creating disks and machines). */
  next: string[];
  /** What the store cannot do from here, said plainly. */
  notes: string[];
}

export interface VerifyResult {
  pointId: string;
  ok: boolean;
  disks: Array<{ key: string; name: string; ok: boolean; expected: string; actual: string }>;
  /** Why the point cannot be checked at all (its manifest is damaged). */
  damage?: string;
}

/** One damaged file of a store and, where it is a point's, which point it costs. */
export interface StoreFinding {
  file: string;
  problem: string;
  pointId?: string;
}

export interface PruneRule {
  keep?: number;
  olderThanMs?: number;
}

export interface PruneResult {
  removed: string[];
  freedBytes: number;
}

export type { PointManifest, PointMember, PointDisk };
