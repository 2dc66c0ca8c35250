import { DrkitError, type Consistency } from '@drkit/spec';
import type { ReplicationPolicy } from './replication-policy.js';

export interface ScheduleState {
  /** When the last point of each kind was taken (epoch ms); undefined if never. */
  lastCrashAt?: number;
  lastAppAt?: number;
}

export interface NextRun {
  at: number;
  consistency: Consistency;
}

/**
 * The policy as pure functions, so an embedding tool can drive its own loop (or replace
 * this one): what runs next, and whether the RPO threshold is breached.
 */
export function nextRun(policy: ReplicationPolicy, state: ScheduleState, now: number): NextRun {
  const appDue = state.lastAppAt === undefined ? now : state.lastAppAt + policy.appIntervalMs;
  const lastAny = Math.max(state.lastCrashAt ?? -Infinity, state.lastAppAt ?? -Infinity);
  const crashDue = Number.isFinite(lastAny) ? lastAny + policy.crashIntervalMs : now;
  // An app point also serves as the crash point for its slot.
  if (appDue <= crashDue) return { at: Math.max(now, appDue), consistency: 'app' };
  return { at: Math.max(now, crashDue), consistency: 'crash' };
}

export interface RpoStatus {
  breached: boolean;
  /** Age of the newest point, ms (Infinity with no point). */
  ageMs: number;
}

export function rpoStatus(policy: ReplicationPolicy, lastPointAt: number | undefined, now: number): RpoStatus {
  const ageMs = lastPointAt === undefined ? Infinity : now - lastPointAt;
  return { breached: ageMs > policy.rpoThresholdMs, ageMs };
}

const MINUTE = 60_000;

/** Site Recovery's retry ladder for transient failures: 1, 2, 4, 8, 10 minutes, then every 30. */
export const RETRY_LADDER_MS: readonly number[] = [1, 2, 4, 8, 10].map((m) => m * MINUTE);
export const RETRY_THEN_MS = 30 * MINUTE;

/** The wait before retry number `failures` (1 for the first failure). */
export function retryDelayMs(
  failures: number,
  ladder: readonly number[] = RETRY_LADDER_MS,
  afterLadder = RETRY_THEN_MS,
): number {
  return ladder[Math.max(0, failures - 1)] ?? afterLadder;
}

// Failures no retry can mend: someone must change the config or the platform first.
const NEEDS_ATTENTION = new Set([
  'auth-failed',
  'permission-denied',
  'invalid-state',
  'bad-input',
  'unsupported',
  'tls-mismatch',
  'host-key-mismatch',
]);

/** Why a failure must wait for an operator (never retried automatically); undefined when the ladder applies. */
export function needsAttention(error: unknown): string | undefined {
  if (!DrkitError.isInstance(error) || !NEEDS_ATTENTION.has(error.code)) return undefined;
  return `${error.code}: ${error.message}`;
}

export type SchedulerEvent =
  | { kind: 'point'; consistency: Consistency; at: number }
  | { kind: 'failed'; consistency: Consistency; at: number; error: unknown; failures: number; retryAt: number }
  | { kind: 'needs-attention'; consistency: Consistency; at: number; error: unknown; reason: string }
  | { kind: 'rpo-breached'; ageMs: number; at: number }
  | { kind: 'rpo-restored'; at: number };

/** What a take may tell the loop: when its point was made, or that it did not run yet. */
export interface TakeOutcome {
  /** The point's own time (its snapshot), epoch ms; default: when take returned. */
  pointAt?: number;
  /** Nothing ran: come back at this time (a resync waiting for its window). Not a failure. */
  deferredUntil?: number;
}

export interface Scheduler {
  /** No new runs; a run under way finishes. */
  stop(): void;
  /** The next run and when it is due; undefined while stopped or waiting for an operator. */
  next(): NextRun | undefined;
  /** Leaves `needs-attention` (the operator fixed the cause) and runs what is due. */
  resume(): void;
  /** `needs-attention` with its reason, or `protecting`. */
  status(): { state: 'protecting' } | { state: 'needs-attention'; reason: string };
}

/**
 * A loop over `nextRun`: runs `take` when due, one run at a time. A transient failure is
 * retried on the ladder (`retryDelaysMs`, default 1, 2, 4, 8, 10 min, then every 30); an
 * authentication, permission or invalid-state failure (or bad input, a refused capability,
 * a certificate or host key that does not match) is never retried — the schedule waits in
 * `needs-attention` until `resume()`. The RPO breach is reported once when it begins and
 * once when a point ends it, not on every tick.
 */
export function startScheduler(args: {
  policy: ReplicationPolicy;
  take: (consistency: Consistency) => Promise<TakeOutcome | undefined> | Promise<void>;
  onEvent?: (event: SchedulerEvent) => void;
  state?: ScheduleState;
  /** Where a restarted service left off: failures so far and the retry time, or the operator's wait. */
  resumeFrom?: { failures?: number; retryAt?: number; attention?: string };
  /** The retry ladder and the wait after it; Site Recovery's by default. */
  retryDelaysMs?: { ladder: readonly number[]; afterLadder: number };
  now?: () => number;
}): Scheduler {
  const now = args.now ?? Date.now;
  const state: ScheduleState = { ...args.state };
  const ladder = args.retryDelaysMs ?? { ladder: RETRY_LADDER_MS, afterLadder: RETRY_THEN_MS };
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running = false;
  let failures = args.resumeFrom?.failures ?? 0;
  let retryAt = args.resumeFrom?.retryAt ?? 0;
  let attention = args.resumeFrom?.attention;
  let notBefore = 0;
  let breached = false;

  const due = () => {
    const next = nextRun(args.policy, state, now());
    const at = Math.max(next.at, notBefore, failures > 0 ? retryAt : 0);
    return { ...next, at };
  };
  const checkRpo = () => {
    const last = Math.max(state.lastAppAt ?? -Infinity, state.lastCrashAt ?? -Infinity);
    const rpo = rpoStatus(args.policy, Number.isFinite(last) ? last : undefined, now());
    if (rpo.breached && !breached) args.onEvent?.({ kind: 'rpo-breached', ageMs: rpo.ageMs, at: now() });
    if (!rpo.breached && breached) args.onEvent?.({ kind: 'rpo-restored', at: now() });
    breached = rpo.breached;
    return Number.isFinite(last) ? last + args.policy.rpoThresholdMs : Infinity;
  };
  const schedule = () => {
    clearTimeout(timer);
    if (stopped || running) return;
    const rpoAt = checkRpo();
    const rpoWake = breached ? Infinity : rpoAt;
    const wake = attention ? rpoWake : Math.min(due().at, rpoWake);
    if (Number.isFinite(wake)) timer = setTimeout(tick, Math.max(1, wake - now()));
  };
  const tick = async () => {
    if (stopped || running || attention) return schedule();
    checkRpo();
    const next = due();
    if (next.at > now()) return schedule();
    running = true;
    try {
      const outcome = (await args.take(next.consistency)) as TakeOutcome | undefined;
      if (outcome?.deferredUntil !== undefined) {
        notBefore = outcome.deferredUntil;
        return;
      }
      const at = outcome?.pointAt ?? now();
      if (next.consistency === 'app') state.lastAppAt = at;
      else state.lastCrashAt = at;
      failures = 0;
      notBefore = 0;
      args.onEvent?.({ kind: 'point', consistency: next.consistency, at });
    } catch (error) {
      const reason = needsAttention(error);
      if (reason) {
        attention = reason;
        args.onEvent?.({ kind: 'needs-attention', consistency: next.consistency, at: now(), error, reason });
      } else {
        failures++;
        retryAt = now() + retryDelayMs(failures, ladder.ladder, ladder.afterLadder);
        args.onEvent?.({ kind: 'failed', consistency: next.consistency, at: now(), error, failures, retryAt });
      }
    } finally {
      running = false;
      schedule();
    }
  };
  timer = setTimeout(tick, 0);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    resume() {
      attention = undefined;
      failures = 0;
      if (!stopped) {
        clearTimeout(timer);
        timer = setTimeout(tick, 0);
      }
    },
    next: () => (stopped || attention ? undefined : due()),
    status: () => (attention ? { state: 'needs-attention', reason: attention } : { state: 'protecting' }),
  };
}
