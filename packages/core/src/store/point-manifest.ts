import type { Consistency, MachineDescription } from '@drkit/spec';
import type { GroupStatement } from '../group/group-point.js';

/** What one recovery point holds: written once, atomically, when the point is whole. */
export interface PointManifest {
  format: 'drkit-point/1';
  id: string;
  /** Order of points in the store, from 1. */
  seq: number;
  createdAt: string;
  consistency: GroupStatement;
  members: PointMember[];
  warnings: string[];
}

export interface PointMember {
  machineId: string;
  name: string;
  adapter: string;
  snapshotId: string;
  requested: Consistency;
  achieved: Consistency;
  warnings: string[];
  disks: PointDisk[];
  /** CPU, memory, disks and NICs at the time of the point; absent in points made before drkit kept it. */
  description?: MachineDescription;
}

export type ReplicationMode = 'initial' | 'delta' | 'resync';

export interface PointDisk {
  diskId: string;
  /** The store's key for this disk's replica. */
  key: string;
  name: string;
  sizeBytes: number;
  blockSize: number;
  /** Root over the per-block checksums at this point: what restore and verify check. */
  root: string;
  /** The source's change token at this point, for the next delta. */
  changeToken?: string;
  mode: ReplicationMode;
  /** Why a resync ran instead of a delta, when it did. */
  resyncReason?: string;
  bytesRead: number;
  bytesWritten: number;
  bytesSkipped: number;
}

/** What a run hands its store to commit: everything but what the store assigns. */
export type PointContent = Omit<PointManifest, 'format' | 'id' | 'seq' | 'createdAt'>;

/** The manifest of a point a store commits now: its id and number, the run's content, and the store's own warnings. */
export function pointManifest(id: string, seq: number, content: PointContent, storeWarnings: string[]): PointManifest {
  return {
    format: 'drkit-point/1',
    id,
    seq,
    createdAt: new Date().toISOString(),
    ...content,
    warnings: [...content.warnings, ...storeWarnings],
  };
}
