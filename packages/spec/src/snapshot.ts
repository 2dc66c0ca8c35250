import type { Consistency } from './capabilities.js';
import type { OperationOptions } from './progress.js';

/**
 * Snapshots come in phases so the consistency-group coordinator can hold one freeze
 * barrier across members: prepare (freeze / quiesce) → take → release (thaw), and delete
 * to roll back. Where the platform fuses the phases (capabilities.snapshot.fusedPhases),
 * prepare and release do nothing and take does all three; the coordinator then reports
 * per-member consistency, never a shared barrier.
 */
export interface SnapshotRequest extends OperationOptions {
  machineId: string;
  consistency: Consistency;
  /** Marks every snapshot drkit makes, so leftovers from failed runs can be found. */
  tag: string;
  /** Latest time (epoch ms) by which the freeze must be released. */
  freezeDeadline?: number;
  /**
   * Freeze and thaw, snapshot nothing: the machine's data lives on array volumes another
   * member snapshots while this freeze holds (capabilities.snapshot.freezeOnly). The taken
   * "snapshot" has no disks; its `achieved` says whether the freeze held to the end.
   */
  freezeOnly?: boolean;
  /**
   * 'run': the snapshot lives only as long as the run that asked for it (a replication
   * deletes it at the end). An adapter may then remove it once that run is known dead, so
   * a killed run leaves nothing behind; a snapshot without it is kept until deleted.
   */
  lifetime?: 'run';
}

/** A member frozen (or ready to be snapped, for fused platforms) and not yet released. */
export interface PreparedSnapshot {
  machineId: string;
  request: SnapshotRequest;
  /** When the freeze took hold (epoch ms), undefined when nothing was frozen. */
  frozenAt?: number;
  /** Adapter-private state carried to take / release. */
  handle: unknown;
}

/** VSS facts for Windows members: always a copy-only backup, so log chains are untouched. */
export interface VssReport {
  backupType: 'copy-only';
  writers: Array<{ name: string; state: string; failed: boolean }>;
}

export interface TakenSnapshot {
  /** The platform's snapshot id (vSphere snapshot moref, checkpoint id, btrfs subvolume). */
  id: string;
  machineId: string;
  takenAt: string;
  requested: Consistency;
  /** What the platform really gave, never more. */
  achieved: Consistency;
  /** Why achieved < requested, or anything the caller should know. */
  warnings: string[];
  vss?: VssReport;
  /** Change-tracking tokens per disk at this snapshot, for the next delta. */
  changeTokens: Record<string, string>;
  /** The disks captured, as replication will read them. */
  disks: Array<{ diskId: string; name: string; sizeBytes: number }>;
  tag: string;
  /**
   * When the platform confirmed the snapshot exists (epoch ms; e.g. its task finished), where
   * take goes on afterwards to read facts about it. A group's window ends at the latest of
   * these, not at the last take's return; absent, take's return is used.
   */
  confirmedAt?: number;
}

export interface SnapshotOps {
  prepare(request: SnapshotRequest): Promise<PreparedSnapshot>;
  take(prepared: PreparedSnapshot, options?: OperationOptions): Promise<TakenSnapshot>;
  /** Thaw. Idempotent, safe to call after a failed or aborted take. */
  release(prepared: PreparedSnapshot): Promise<void>;
  delete(snapshot: Pick<TakenSnapshot, 'id' | 'machineId'>, options?: OperationOptions): Promise<void>;
  /** Snapshots that carry drkit's tag (leftovers of failed runs included); nobody else's. */
  listTagged(
    tag: string,
    options?: OperationOptions,
  ): Promise<Array<Pick<TakenSnapshot, 'id' | 'machineId' | 'takenAt'>>>;
  /**
   * Rolls the machine itself back to a snapshot, in place (where the platform can): its disks
   * as the snapshot holds them. Destructive for whatever changed since; the snapshot stays.
   */
  revert?(snapshot: Pick<TakenSnapshot, 'id' | 'machineId'>, options?: OperationOptions): Promise<void>;
}
