import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, validatePolicy } from './replication-policy.js';
import { nextRun, rpoStatus, startScheduler } from './replication-scheduler.js';

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

  it('runs takes when due and reports a failed one, on a loop the caller can stop', async () => {
    const events: string[] = [];
    let calls = 0;
    const stop = startScheduler({
      policy: { ...p, crashIntervalMs: 40, rpoThresholdMs: 10_000 },
      take: async (c) => {
        if (++calls === 2) throw new Error('link down');
        events.push(c);
      },
      onEvent: (e) => e.kind === 'failed' && events.push('failed'),
    });
    await new Promise((r) => setTimeout(r, 300));
    stop();
    expect(events[0]).toBe('app');
    expect(events[1]).toBe('failed');
    expect(events.slice(2).every((e) => e === 'crash')).toBe(true);
    expect(events.length).toBeGreaterThan(3);
  });
});
