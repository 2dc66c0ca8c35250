import type { Consistency, InventoryChange, LeftoverSnapshot, ProgressListener } from '@drkit/core';
import type { EndpointEntry, ProtectionGroup } from './protection-config.js';

/**
 * What the service asks of whoever can reach the platforms (the CLI's registry of adapters
 * and targets, or an embedding tool's own): one run of a group, and a cleanup by tag.
 */
export interface GroupRunner {
  /** Refreshes the group's inventory, replicates one point into its store, applies retention. */
  run(group: ProtectionGroup, request: RunRequest): Promise<RunOutcome>;
  /** Removes the snapshots carrying `tag` on every member's endpoint; nobody else's. */
  cleanup(group: ProtectionGroup, tag: string, options: { signal?: AbortSignal }): Promise<CleanupOutcome>;
  /**
   * Follows an endpoint's change feed (vSphere's PropertyCollector) until the signal aborts, so
   * new disks and removed machines are noticed between runs without a discovery pass. Throws
   * `unsupported` where the platform has no feed; absent when the runner cannot watch at all.
   */
  watch?(
    endpoint: EndpointEntry,
    options: { signal: AbortSignal; onChange: (change: InventoryChange) => void },
  ): Promise<void>;
}

export interface RunRequest {
  consistency: Consistency;
  /** The tag every snapshot of the run carries (journaled before the run starts). */
  tag: string;
  resync: boolean;
  signal: AbortSignal;
  onProgress?: ProgressListener;
}

export interface RunOutcome {
  pointId: string;
  /** The point's own time (its snapshots), epoch ms. */
  pointAt: number;
  achieved: Consistency;
  bytesRead: number;
  bytesWritten: number;
  /** The store resumed a run that a crash (or a dead worker) interrupted, instead of starting over. */
  resumed?: boolean;
  /** Points retention removed after this one was committed. */
  pruned: number;
  warnings: string[];
  leftovers: LeftoverSnapshot[];
  /** What changed in the group since its previous point: disks added, machines gone. */
  inventoryChanges: string[];
  /** Which queue worker ran it, when, and which attempt (scale-out only). */
  ranBy?: { by: string; startedAt: number; endedAt: number; attempt: number };
}

export interface CleanupOutcome {
  removed: number;
  failed: Array<{ machineId: string; snapshotId: string; reason: string }>;
}
