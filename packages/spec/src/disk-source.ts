import type { OperationOptions } from './progress.js';
import type { TakenSnapshot } from './snapshot.js';

export interface Extent {
  offset: number;
  length: number;
}

/** Changed extents since a token, or `unknown` when tracking was lost (→ resync by checksums). */
export type ChangeSet =
  | { kind: 'extents'; extents: AsyncIterable<Extent>; nextToken: string }
  | { kind: 'unknown'; reason: string; nextToken?: string };

export interface ReadOptions extends OperationOptions {
  /**
   * A buffer of exactly the extent's length the caller would like the data in (memory it
   * recycles, already mapped). A source may fill and return it, or ignore it; the caller uses
   * whatever comes back, and never hands out `into` again before that.
   */
  into?: Buffer;
}

/**
 * How the replication engine reads one disk of a snapshot, whatever the platform.
 * The engine does the rest for every adapter: initial copy, deltas, resync, verify, resume.
 */
export interface DiskSource {
  readonly diskId: string;
  readonly sizeBytes: number;
  /**
   * How this source is best read: the size of one read and how many at once. A disk read over
   * a network (vSphere's /folder) wants bigger and more parallel reads than a local file; the
   * engine follows it unless its caller says otherwise. Absent: the engine's defaults.
   */
  readonly preferredReads?: { bytes: number; inFlight: number };
  /** Extents holding data; the whole disk when the platform cannot tell. */
  allocated(options?: OperationOptions): AsyncIterable<Extent>;
  changedSince(token: string | undefined, options?: OperationOptions): Promise<ChangeSet>;
  read(extent: Extent, options?: ReadOptions): Promise<Uint8Array>;
  /**
   * Per-block digests computed next to the data (e.g. over SSH), so a resync moves hashes,
   * not the disk. Absent where the source cannot hash remotely. One SHA-256 (32 bytes) per
   * block, concatenated; an all-zero block is 32 zero bytes (the store's convention).
   */
  hashBlocks?(extent: Extent, blockSize: number, options?: OperationOptions): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

/** What a platform tracks the next delta from, once a snapshot's data is safely read. */
export interface ChangeAnchor {
  /** Change tokens per disk id that hold from now on (they replace the snapshot's own). */
  changeTokens: Record<string, string>;
  /** Anything that keeps a disk from having a token: its next run resyncs. */
  warnings: string[];
}

export interface ReplicationOps {
  /** Opens one disk of a taken snapshot for reading. */
  openDisk(snapshotId: string, machineId: string, diskId: string, options?: OperationOptions): Promise<DiskSource>;
  /**
   * For platforms whose change tracking outlives a snapshot only through something else
   * (Hyper-V: a recovery snapshot becomes an RCT reference point). Called once every disk
   * of the snapshot is replicated and before the point commits; the snapshot may be gone after.
   */
  anchorChanges?(snapshot: TakenSnapshot, options?: OperationOptions): Promise<ChangeAnchor>;
  /** Lets go of anchors no point needs any more: the previous point's, once a newer one is committed. */
  releaseChanges?(machineId: string, tokens: string[], options?: OperationOptions): Promise<void>;
}
