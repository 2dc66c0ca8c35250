import { describe, expect, it } from 'vitest';
import { DrkitError } from '@drkit/spec';
import { withRetry } from './retry.js';

const fast = { minDelayMs: 1, maxDelayMs: 5 };

describe('withRetry', () => {
  it('retries transient faults until the call succeeds', async () => {
    let calls = 0;
    const result = await withRetry(async () => {
      if (++calls < 3) throw new DrkitError('unreachable', 'connection reset');
      return 'ok';
    }, fast);
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it.each(['auth-failed', 'permission-denied', 'invalid-state', 'bad-input'] as const)(
    'never retries a permanent %s fault',
    async (code) => {
      let calls = 0;
      await expect(
        withRetry(async () => {
          calls++;
          throw new DrkitError(code, 'no');
        }, fast),
      ).rejects.toMatchObject({ code });
      expect(calls).toBe(1);
    },
  );

  it('does not retry untyped errors: an unknown failure is not assumed transient', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw new Error('bug');
      }, fast),
    ).rejects.toThrow('bug');
    expect(calls).toBe(1);
  });

  it('stops at the attempt limit with the last error', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new DrkitError('busy', `busy ${calls}`);
        },
        { ...fast, attempts: 4 },
      ),
    ).rejects.toThrow('busy 4');
    expect(calls).toBe(4);
  });

  it('never runs past its total time budget, however many attempts remain', async () => {
    const started = Date.now();
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new DrkitError('timeout', 'slow');
        },
        { minDelayMs: 40, maxDelayMs: 40, attempts: 100, budgetMs: 200 },
      ),
    ).rejects.toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(600);
    expect(calls).toBeLessThan(10);
  });

  it('backs off with jitter: waits grow and are not all equal', async () => {
    const stamps: number[] = [];
    await withRetry(
      async () => {
        stamps.push(performance.now());
        if (stamps.length < 5) throw new DrkitError('unreachable', 'x');
      },
      { minDelayMs: 10, maxDelayMs: 1000 },
    );
    const gaps = stamps.slice(1).map((t, i) => t - stamps[i]!);
    expect(gaps[3]!).toBeGreaterThan(gaps[0]!);
    expect(gaps[0]!).toBeGreaterThanOrEqual(9);
  });

  it('stops waiting when aborted, with a typed error', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    await expect(
      withRetry(
        async () => {
          throw new DrkitError('unreachable', 'down');
        },
        { minDelayMs: 5000, signal: controller.signal },
      ),
    ).rejects.toSatisfy((e: unknown) => DrkitError.isInstance(e) && e.code === 'aborted');
  });
});
