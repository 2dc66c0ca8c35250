import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DrkitError } from '@drkit/spec';
import { DEFAULT_POLICY, validatePolicy } from './replication-policy.js';
import { nextRun, rpoStatus, startScheduler, type SchedulerEvent } from './replication-scheduler.js';

const MIN = 60_000;
const H = 60 * MIN;

describe('the replication policy', () => {
  it("defaults to Azure Site Recovery's: crash every 5 min, app every 4 h, 24 h retention", () => {
    expect(validatePolicy()).toEqual({
      crashIntervalMs: 5 * MIN,
      appIntervalMs: 4 * H,
      retentionMs: 24 * H,
      rpoThresholdMs: 15 * MIN,
    });
  });

  it.each([
    [{ appIntervalMs: 30 * MIN }, /1–12 hours/],
    [{ appIntervalMs: 13 * H }, /1–12 hours/],
    [{ retentionMs: 73 * H }, /at most 72 hours/],
    [{ appIntervalMs: 6 * H, retentionMs: 6 * H }, /shorter than retention/],
    [{ crashIntervalMs: 1000 }, /at least 1 minute/],
  ])('refuses %o', (input, message) => {
    expect(() => validatePolicy(input)).toThrow(message);
  });
});

describe('the schedule', () => {
  const p = DEFAULT_POLICY;
  it('starts with an app-consistent point, then crash points every 5 minutes, then app again after 4 hours', () => {
    expect(nextRun(p, {}, 0)).toEqual({ at: 0, consistency: 'app' });
    expect(nextRun(p, { lastAppAt: 0 }, 1000)).toEqual({ at: 5 * MIN, consistency: 'crash' });
    expect(nextRun(p, { lastAppAt: 0, lastCrashAt: 3 * H + 55 * MIN }, 3 * H + 56 * MIN)).toEqual({
      at: 4 * H,
      consistency: 'app',
    });
  });

  it('flags the RPO threshold once the newest point is older than it', () => {
    expect(rpoStatus(p, 0, 10 * MIN).breached).toBe(false);
    expect(rpoStatus(p, 0, 16 * MIN)).toEqual({ breached: true, ageMs: 16 * MIN });
    expect(rpoStatus(p, undefined, 0).breached).toBe(true);
  });
});

describe('the scheduler', () => {
  // A fake clock: hours of schedule run in milliseconds, and every call is counted.
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());
  const p = DEFAULT_POLICY;

  it('takes an app point first, then crash points on the interval, and reports each', async () => {
    const events: string[] = [];
    const s = startScheduler({
      policy: p,
      take: async () => {},
      onEvent: (e) => events.push(e.kind === 'point' ? e.consistency : e.kind),
    });
    await vi.advanceTimersByTimeAsync(16 * MIN);
    s.stop();
    // No point yet at the start: the RPO is breached until the first one.
    expect(events).toEqual(['rpo-breached', 'app', 'rpo-restored', 'crash', 'crash', 'crash']);
  });

  it('never retries an authentication failure: one call, then needs-attention until resumed', async () => {
    let calls = 0;
    const events: SchedulerEvent[] = [];
    const s = startScheduler({
      policy: p,
      take: async () => {
        calls++;
        throw new DrkitError('auth-failed', 'the password was refused');
      },
      onEvent: (e) => events.push(e),
    });
    await vi.advanceTimersByTimeAsync(60 * MIN);
    expect(calls).toBe(1);
    expect(s.status()).toEqual({ state: 'needs-attention', reason: 'auth-failed: the password was refused' });
    // The RPO was breached from the start (no point yet): said once, not on every tick.
    expect(events.filter((e) => e.kind === 'rpo-breached')).toHaveLength(1);
    s.resume();
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    s.stop();
  });

  it('retries a transient failure at 1, 2, 4, 8, 10 minutes, then every 30', async () => {
    const at: number[] = [];
    const s = startScheduler({
      policy: p,
      take: async () => {
        at.push(Date.now() / MIN);
        throw new DrkitError('unreachable', 'no route to host');
      },
    });
    await vi.advanceTimersByTimeAsync(120 * MIN);
    s.stop();
    expect(at).toEqual([0, 1, 3, 7, 15, 25, 55, 85, 115]);
  });

  it('after a transient failure and a success, keeps the interval and says when the RPO is met again', async () => {
    let calls = 0;
    const events: SchedulerEvent[] = [];
    const s = startScheduler({
      policy: p,
      take: async () => {
        if (++calls === 1) throw new DrkitError('timeout', 'the host did not answer');
      },
      onEvent: (e) => events.push(e),
    });
    await vi.advanceTimersByTimeAsync(7 * MIN);
    s.stop();
    expect(events.map((e) => e.kind)).toEqual(['rpo-breached', 'failed', 'point', 'rpo-restored', 'point']);
    expect(events[1]).toMatchObject({ failures: 1, retryAt: 1 * MIN });
  });
});
