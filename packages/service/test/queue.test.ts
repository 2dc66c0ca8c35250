import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { lockGroup, redisOptions } from '../src/queue/index.js';
import { hasRedis, startRedis, type RedisServer } from '../../../test/harness/redis.js';

describe('--queue URLs', () => {
  it('takes redis:// and rediss:// with a database, and keeps passwords out of the URL', () => {
    expect(redisOptions('redis://127.0.0.1:6380/2')).toMatchObject({ host: '127.0.0.1', port: 6380, db: 2 });
    expect(redisOptions('rediss://queue.example', 'pw')).toMatchObject({
      port: 6379,
      password: 'pw',
      tls: { servername: 'queue.example' },
    });
    expect(() => redisOptions('redis://:secret@host')).toThrow(/no password in the URL/);
    expect(() => redisOptions('http://host')).toThrow(/expected redis:/);
  });
});

describe.skipIf(!hasRedis())('one group, one worker: the Redis group lock (real redis-server)', () => {
  let server: RedisServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.port, '127.0.0.1');
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('a second holder waits until the first releases', async () => {
    const first = await lockGroup(redis, 'web', 'a', 3000);
    let second: Awaited<ReturnType<typeof lockGroup>> | undefined;
    const waiting = lockGroup(redis, 'web', 'b', 3000).then((l) => (second = l));
    await new Promise((r) => setTimeout(r, 300));
    expect(second).toBeUndefined();
    await first.release();
    await waiting;
    expect(await redis.get('drkit:group-lock:web')).toBe('b');
    await second!.release();
  });

  it('a holder that dies (stops renewing) loses the group after its time to live; one that finds its lock gone stops', async () => {
    await redis.set('drkit:group-lock:db', 'dead-worker', 'PX', 400);
    const started = Date.now();
    const lock = await lockGroup(redis, 'db', 'live', 600);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    await redis.set('drkit:group-lock:db', 'someone-else');
    await new Promise((r) => setTimeout(r, 400));
    expect(lock.lost.aborted).toBe(true);
    await lock.release();
    expect(await redis.get('drkit:group-lock:db')).toBe('someone-else'); // never removes another's lock
  });
});
