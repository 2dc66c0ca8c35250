import type { Consistency } from '@drkit/spec';
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

export type SchedulerEvent =
  | { kind: 'point'; consistency: Consistency; at: number }
  | { kind: 'failed'; consistency: Consistency; at: number; error: unknown }
  | { kind: 'rpo-breached'; ageMs: number; at: number };

/**
 * A minimal loop over `nextRun`: runs `take` when due, one run at a time, and reports RPO
 * breaches. Returns a stop function.
 */
export function startScheduler(args: {
  policy: ReplicationPolicy;
  take: (consistency: Consistency) => Promise<void>;
  onEvent?: (event: SchedulerEvent) => void;
  state?: ScheduleState;
  now?: () => number;
}): () => void {
  const now = args.now ?? Date.now;
  const state: ScheduleState = { ...args.state };
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    const due = nextRun(args.policy, state, now());
    if (due.at <= now()) {
      try {
        await args.take(due.consistency);
        const at = now();
        if (due.consistency === 'app') state.lastAppAt = at;
        else state.lastCrashAt = at;
        args.onEvent?.({ kind: 'point', consistency: due.consistency, at });
      } catch (error) {
        args.onEvent?.({ kind: 'failed', consistency: due.consistency, at: now(), error });
      }
    }
    const last = Math.max(state.lastAppAt ?? -Infinity, state.lastCrashAt ?? -Infinity);
    const rpo = rpoStatus(args.policy, Number.isFinite(last) ? last : undefined, now());
    if (rpo.breached) args.onEvent?.({ kind: 'rpo-breached', ageMs: rpo.ageMs, at: now() });
    if (!stopped)
      timer = setTimeout(
        tick,
        Math.max(10, Math.min(nextRun(args.policy, state, now()).at - now(), args.policy.rpoThresholdMs)),
      );
  };
  timer = setTimeout(tick, 0);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
