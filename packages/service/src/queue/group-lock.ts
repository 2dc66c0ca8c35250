import { DrkitError } from '@drkit/core';
import type { Redis } from 'ioredis';

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface GroupLock {
  /** Aborted if the lock was lost (Redis restarted without it, or it expired): the run must stop. */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

/**
 * One group, one worker: a Redis key per group held with a token and a time to live, renewed
 * at a third of it. A worker that dies stops renewing, so its key expires and another worker
 * takes the group — never while the first could still be writing (it stops when renewal fails).
 */
export async function lockGroup(
  redis: Redis,
  group: string,
  token: string,
  ttlMs: number,
  signal?: AbortSignal,
): Promise<GroupLock> {
  const key = `drkit:group-lock:${group}`;
  for (;;) {
    if (signal?.aborted) throw signal.reason ?? new DrkitError('aborted', 'stopped');
    if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) === 'OK') break;
    await new Promise((r) => setTimeout(r, Math.min(250, ttlMs / 4)));
  }
  const lost = new AbortController();
  const timer = setInterval(async () => {
    try {
      const renewed = (await redis.eval(RENEW, 1, key, token, String(ttlMs))) as number;
      if (renewed !== 1)
        lost.abort(new DrkitError('conflict', `group ${group}: its lock was lost; stopping so no two workers write`));
    } catch {
      // Redis is away: the key expires unless it comes back in time; a later renewal decides.
    }
  }, ttlMs / 3);
  return {
    lost: lost.signal,
    async release() {
      clearInterval(timer);
      await redis.eval(RELEASE, 1, key, token).catch(() => {});
    },
  };
}
