import { hostname } from 'node:os';
import { DrkitError } from '@drkit/core';
import { Worker, type Job } from 'bullmq';
import type { RedisOptions } from 'bullmq';
import { Redis, type RedisOptions as IoRedisOptions } from 'ioredis';
import type { GroupRunner } from '../group-runner.js';
import type { ServiceLog } from '../service-log.js';
import { lockGroup } from './group-lock.js';
import { RUN_QUEUE } from './queue-connection.js';
import { errorOf, type JobResult, type RunJob } from './queue-jobs.js';

export interface QueueWorkerOptions {
  /** Jobs this worker runs at once. Default 2. */
  concurrency?: number;
  /** A worker silent this long is presumed dead: its job goes to another (BullMQ's lock). Default 30 s. */
  stallMs?: number;
  log: ServiceLog;
}

export interface QueueWorker {
  readonly by: string;
  /** Takes no new jobs; running ones get `deadlineMs`, then are stopped (resumably). */
  close(deadlineMs?: number): Promise<void>;
}

/** `drkit worker`: takes runs off the queue and does them with the given runner (the CLI's registry). */
export async function startQueueWorker(
  connection: RedisOptions,
  runner: GroupRunner,
  options: QueueWorkerOptions,
): Promise<QueueWorker> {
  const by = `${process.pid}@${hostname()}`;
  const stallMs = options.stallMs ?? 30_000;
  const redis = new Redis(connection as IoRedisOptions);
  redis.on('error', (error: Error) => options.log('warn', 'queue-error', { error: error.message }));
  const active = new Set<AbortController>();
  const log = options.log;

  const processJob = async (
    job: Job<RunJob, JobResult, RunJob['kind']>,
    _token?: string,
    cancelled?: AbortSignal,
  ): Promise<JobResult> => {
    const startedAt = Date.now();
    const { group, tag } = job.data;
    const stamp = () => ({ by, startedAt, endedAt: Date.now(), attempt: job.attemptsStarted });
    const controller = new AbortController();
    active.add(controller);
    try {
      const lock = await lockGroup(redis, group.name, `${by}:${job.id}`, stallMs, controller.signal);
      const signal = AbortSignal.any([controller.signal, lock.lost, ...(cancelled ? [cancelled] : [])]);
      try {
        if (job.data.kind === 'cleanup')
          return { ok: true, cleanup: await runner.cleanup(group, tag, { signal }), worker: stamp() };
        if (job.attemptsStarted > 1) {
          // A worker died under this run: what its attempt left at the source goes first.
          const left = await runner.cleanup(group, tag, { signal });
          log('warn', 'job-retried', { group: group.name, tag, attempt: job.attemptsStarted, removed: left.removed });
        }
        log('info', 'job-started', { group: group.name, kind: job.data.kind, attempt: job.attemptsStarted });
        const run = await runner.run(group, {
          consistency: job.data.consistency,
          tag,
          resync: job.data.resync,
          signal,
        });
        log('info', 'job-done', { group: group.name, point: run.pointId, seconds: (Date.now() - startedAt) / 1000 });
        return { ok: true, run, worker: stamp() };
      } finally {
        await lock.release();
      }
    } catch (error) {
      log('error', 'job-failed', { group: group.name, error: (error as Error).message });
      return { ok: false, error: errorOf(error), worker: stamp() };
    } finally {
      active.delete(controller);
    }
  };

  const worker = new Worker<RunJob, JobResult, RunJob['kind']>(RUN_QUEUE, processJob, {
    connection,
    concurrency: options.concurrency ?? 2,
    lockDuration: stallMs,
    stalledInterval: stallMs,
    // A job whose workers keep dying is given up after three tries; the scheduler's ladder takes over.
    maxStalledCount: 3,
  });
  worker.on('error', (error) => log('warn', 'queue-error', { error: error.message }));
  await worker.waitUntilReady();
  log('info', 'worker-ready', { by, concurrency: options.concurrency ?? 2 });

  return {
    by,
    async close(deadlineMs = 60_000) {
      const closing = worker.close();
      const timer = setTimeout(() => {
        for (const c of active) c.abort(new DrkitError('aborted', 'the worker is stopping'));
      }, deadlineMs);
      await closing;
      clearTimeout(timer);
      redis.disconnect();
    },
  };
}
