import { DrkitError } from '@drkit/core';
import type { RedisOptions } from 'bullmq';

/** The queue's name in Redis: every drkit serve and worker on one Redis share it. */
export const RUN_QUEUE = 'drkit-runs';

/**
 * `redis://host[:port][/db]` or `rediss://…` (TLS, verified) → connection options. A password
 * never rides in the URL (it would sit in `ps` and shell history): it comes from
 * DRKIT_REDIS_PASSWORD or a file.
 */
export function redisOptions(url: string, password?: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DrkitError('bad-input', `--queue ${url}: expected redis://host[:port][/db]`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new DrkitError('bad-input', `--queue ${url}: expected redis://host[:port][/db] or rediss://…`);
  if (parsed.password)
    throw new DrkitError(
      'bad-input',
      '--queue: no password in the URL; give it in DRKIT_REDIS_PASSWORD or --queue-password-file',
    );
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0)
    throw new DrkitError('bad-input', `--queue ${url}: the database must be a number`);
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : 6379,
    db,
    ...(parsed.username && { username: decodeURIComponent(parsed.username) }),
    ...(password && { password }),
    ...(parsed.protocol === 'rediss:' && { tls: { servername: parsed.hostname } }),
    // BullMQ's workers block on Redis: their commands must wait through a restart, not fail.
    maxRetriesPerRequest: null,
  };
}
