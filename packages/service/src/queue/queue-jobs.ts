import { DrkitError, type Consistency } from '@drkit/core';
import type { CleanupOutcome, RunOutcome } from '../group-runner.js';
import type { ProtectionGroup } from '../protection-config.js';

/** What the scheduler puts on the queue: the whole group (paths, never secrets) and what to do. */
export type RunJob =
  | { kind: 'run'; group: ProtectionGroup; consistency: Consistency; tag: string; resync: boolean }
  | { kind: 'cleanup'; group: ProtectionGroup; tag: string };

/** Where and when a worker ran a job: the journal keeps it, so overlaps can be ruled out after the fact. */
export interface WorkerStamp {
  by: string;
  startedAt: number;
  endedAt: number;
  attempt: number;
}

/**
 * What a worker hands back. A run that failed is still a completed job: its typed error goes
 * back to the scheduler, whose retry ladder and operator rule apply (BullMQ itself retries
 * only a job whose worker died).
 */
export type JobResult =
  | { ok: true; run?: RunOutcome; cleanup?: CleanupOutcome; worker: WorkerStamp }
  | { ok: false; error: { code: string; message: string; details?: Record<string, unknown> }; worker: WorkerStamp };

export function errorOf(error: unknown): { code: string; message: string; details?: Record<string, unknown> } {
  if (DrkitError.isInstance(error))
    return { code: error.code, message: error.message, ...(error.details && { details: error.details }) };
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}

export function toError(e: { code: string; message: string; details?: Record<string, unknown> }): Error {
  if (e.code === 'internal') return new Error(e.message);
  return new DrkitError(e.code as DrkitError['code'], e.message, { ...(e.details && { details: e.details }) });
}
