import { DrkitError, delay } from '@drkit/core';
import type { ArrayFault, QueryValue, RestClient } from '../rest-client.js';

/** ONTAP answers errors as `{ error: { message, code, target } }`. */
export function ontapFault(body: unknown): ArrayFault | undefined {
  const error = (body as { error?: { message?: unknown; code?: unknown } } | undefined)?.error;
  if (!error || typeof error.message !== 'string') return undefined;
  return { message: error.message, ...(error.code !== undefined && { code: String(error.code) }) };
}

interface Collection<T> {
  records?: T[];
  _links?: { next?: { href?: string } };
}

/**
 * Every record of a collection, page by page: ONTAP returns at most `max_records` per
 * answer and a `_links.next` href (with its own start key) while more remain.
 */
export async function* ontapRecords<T>(
  rest: RestClient,
  path: string,
  query: Record<string, QueryValue>,
  signal?: AbortSignal,
): AsyncIterable<T> {
  let next: string | undefined;
  let first = true;
  while (first || next) {
    const page = (
      await rest.send({
        method: 'GET',
        path: first ? path : next!,
        ...(first && { query: { max_records: 1000, ...query } }),
        ...(signal && { signal }),
      })
    ).body as Collection<T>;
    first = false;
    for (const record of page.records ?? []) yield record;
    next = page._links?.next?.href;
    if (next !== undefined && !next.startsWith('/api/'))
      throw new DrkitError('protocol', `ONTAP gave a next link outside /api: ${next}`);
  }
}

export async function ontapAll<T>(
  rest: RestClient,
  path: string,
  query: Record<string, QueryValue>,
  signal?: AbortSignal,
): Promise<T[]> {
  const out: T[] = [];
  for await (const record of ontapRecords<T>(rest, path, query, signal)) out.push(record);
  return out;
}

interface JobRef {
  job?: { uuid?: string };
}

interface Job {
  state?: string;
  message?: string;
  code?: number | string;
  error?: { message?: string; code?: string };
}

const JOB_LIMIT_MS = 10 * 60_000;

/**
 * Follows an asynchronous operation: a 202 answer names a job, polled until it ends
 * (backing off 100 ms → 2 s). A failed job is a typed error with ONTAP's own message and
 * code; a synchronous answer (no job) passes straight through.
 */
export async function followJob(rest: RestClient, answer: unknown, what: string, signal?: AbortSignal): Promise<void> {
  const uuid = (answer as JobRef | undefined)?.job?.uuid;
  if (!uuid) return;
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    const job = (
      await rest.send({
        method: 'GET',
        path: `/api/cluster/jobs/${encodeURIComponent(uuid)}`,
        query: { fields: 'state,message,code,error' },
        ...(signal && { signal }),
      })
    ).body as Job;
    if (job.state === 'success') return;
    if (job.state === 'failure') {
      const message = job.error?.message ?? job.message ?? 'no message';
      const code = job.error?.code ?? job.code;
      throw new DrkitError('platform', `${what} failed on the array: ${message}`, {
        fault: `job/${code ?? 'failure'}`,
        retryable: false,
      });
    }
    if (Date.now() - started > JOB_LIMIT_MS)
      throw new DrkitError(
        'timeout',
        `${what}: job ${uuid} still ${job.state ?? 'unknown'} after ${JOB_LIMIT_MS / 60_000} min`,
      );
    await delay(Math.min(2000, 100 * 2 ** attempt), signal);
  }
}

/** ISO 8601 durations as ONTAP prints lag times (`PT1H2M3S`, `P1DT2H`), in seconds. */
export function isoDurationSeconds(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!m) return undefined;
  const [d, h, min, s] = m.slice(1).map((v) => Number(v ?? 0));
  return d! * 86_400 + h! * 3600 + min! * 60 + s!;
}
