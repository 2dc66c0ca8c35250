import type { MachineDescription } from './machine-description.js';
import type { OperationOptions } from './progress.js';

/**
 * The steps of one machine's recovery, each reported as a `phase` event when it starts (in
 * this order; an adapter may skip one): checking names and placement, creating the machine,
 * uploading its disks, attaching disks and NICs, powering it on.
 */
export const RECOVERY_STEPS = ['check', 'create', 'upload', 'attach', 'power-on'] as const;
export type RecoveryStep = (typeof RECOVERY_STEPS)[number];

/** One machine to bring up on the platform from a recovery point's disks. */
export interface RecoveryRequest extends OperationOptions {
  /** The new machine's name. */
  name: string;
  description: MachineDescription;
  /**
   * The point's disks in order: each read from the store as checked chunks (`read`), or a
   * local raw image already restored and checked (`path`).
   */
  disks: Array<{
    name: string;
    sizeBytes: number;
    read?: () => AsyncIterable<Uint8Array>;
    /** Takes back a chunk `read` yielded once the recovery no longer holds any view of it (its memory is reused). */
    recycle?: (chunk: Uint8Array) => void;
    path?: string;
  }>;
  /** Source network name → target network name; a NIC whose network is not mapped is refused. */
  networkMap: Record<string, string>;
  /** Marks everything the recovery creates, so a cleanup removes exactly that. */
  tag: string;
  /** The point the machine comes from: kept on it, so a re-run from another point knows to rebuild. */
  pointId?: string;
  /** Where it goes; each defaults to the platform's first (the result says what was chosen). */
  placement?: { datacenter?: string; datastore?: string; pool?: string; folder?: string };
  powerOn?: boolean;
}

export interface RecoveredMachine {
  machineId: string;
  name: string;
  poweredOn: boolean;
  /** What the platform chose where the caller did not, and defaults used for what the point did not record. */
  notes: string[];
}

/**
 * Recovery, where an adapter can do it: a machine created from a point's description, its
 * disks uploaded, NICs on mapped networks, powered on — and found and removed again by tag
 * (a test failover's cleanup), never anything else.
 */
export interface RecoveryOps {
  /** Reports each RECOVERY_STEPS step it starts through `request.onProgress`. */
  recover(request: RecoveryRequest): Promise<RecoveredMachine>;
  listRecovered(tag: string, options?: OperationOptions): Promise<RecoveredEntry[]>;
  /** Ends a failover: the machine's point can no longer be changed by a re-run. */
  commit(machineId: string, options?: OperationOptions): Promise<void>;
  remove(machineId: string, options?: OperationOptions): Promise<void>;
  /**
   * A planned failover's first step, on the source: the guest asked to shut down (its tools),
   * powered off if it has not within `timeoutMs` (or has no tools). Says which it took.
   */
  shutdown?(
    machineId: string,
    options?: OperationOptions & { timeoutMs?: number },
  ): Promise<'guest' | 'forced' | 'already-off'>;
  /**
   * Failback into a machine whose disks still exist: each disk is hashed where it lives and
   * only the blocks that differ from the point are written.
   */
  writeBack?(request: WriteBackRequest): Promise<WriteBackResult>;
}

/** A failback's write: a point's disks into the disks of a machine at the original site. */
export interface WriteBackRequest extends OperationOptions {
  /** The machine whose disks take the point's data; it must be off. */
  machineId: string;
  /** The point's disks, in the machine's disk order, each read as checked chunks from offset 0. */
  disks: Array<{ name: string; sizeBytes: number; read: () => AsyncIterable<Uint8Array> }>;
}

/**
 * Per disk, the bytes hashed where the disk lives and the bytes written. `bytesCompared` 0: the
 * platform cannot compare in place (vSphere over HTTP) and the disk was written whole.
 */
export interface WriteBackResult {
  machineId: string;
  disks: Array<{ diskId: string; name: string; bytesCompared: number; bytesWritten: number }>;
}

/** `building` until the machine is whole and started (a crash left it so: rebuild it), then `ready`, then `committed`. */
export type RecoveredState = 'building' | 'ready' | 'committed';

export interface RecoveredEntry {
  machineId: string;
  name: string;
  pointId?: string;
  state: RecoveredState;
}

/** Reports the start of a recovery step (see RECOVERY_STEPS). */
export function recoveryStep(request: OperationOptions, step: RecoveryStep): void {
  request.onProgress?.({ kind: 'phase', phase: step });
}
