import { DrkitError } from '@drkit/core';
import { Job, Queue, QueueEvents } from 'bullmq';
import type { RedisOptions } from 'bullmq';
import type { GroupRunner } from '../group-runner.js';
import type { ServiceLog } from '../service-log.js';
import { RUN_QUEUE } from './queue-connection.js';
import { toError, type JobResult, type RunJob } from './queue-jobs.js';

export interface QueueRunner extends GroupRunner {
  close(): Promise<void>;
}

/**
 * The scheduler's side of scale-out: each run (and cleanup) becomes a BullMQ job that any
 * `drkit worker` takes. The scheduler keeps its own rules — one run per group, the retry
 * ladder, slots per endpoint — because it waits for each job's result before the next.
 * Results arrive as queue events; a poll every few seconds catches any an outage of Redis
 * swallowed, and a job Redis lost altogether fails as `unreachable` (the ladder retries it).
 */
export async function openQueueRunner(connection: RedisOptions, log: ServiceLog): Promise<QueueRunner> {
  const queue = new Queue<RunJob, JobResult, RunJob['kind']>(RUN_QUEUE, { connection });
  const events = new QueueEvents(RUN_QUEUE, { connection });
  // A Redis restart drops the connections; the clients reconnect by themselves, the log says so.
  const onError = (error: Error) => log('warn', 'queue-error', { error: error.message });
  queue.on('error', onError);
  events.on('error', onError);
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  const pending = new Map<string, { resolve: (r: JobResult) => void; reject: (e: Error) => void }>();
  const settle = (id: string, result: JobResult | Error) => {
    const waiter = pending.get(id);
    if (!waiter) return;
    pending.delete(id);
    if (result instanceof Error) waiter.reject(result);
    else waiter.resolve(result);
  };
  events.on('completed', ({ jobId, returnvalue }) =>
    settle(jobId, (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as JobResult),
  );
  events.on('failed', ({ jobId, failedReason }) =>
    settle(jobId, new DrkitError('platform', `the queue gave up on the job: ${failedReason}`)),
  );
  let polling = false;
  const poll = setInterval(async () => {
    if (polling || pending.size === 0) return;
    polling = true;
    try {
      for (const id of [...pending.keys()]) {
        const job = await Job.fromId<RunJob, JobResult>(queue, id);
        if (!job) settle(id, new DrkitError('unreachable', `job ${id} is gone from the queue (Redis lost it)`));
        else if (job.finishedOn && job.returnvalue) settle(id, job.returnvalue);
        else if (job.failedReason && job.finishedOn)
          settle(id, new DrkitError('platform', `the queue gave up on the job: ${job.failedReason}`));
      }
    } catch (error) {
      log('warn', 'queue-poll-failed', { error: (error as Error).message });
    } finally {
      polling = false;
    }
  }, 5000);

  const submit = async (data: RunJob, jobId: string, signal?: AbortSignal): Promise<JobResult> => {
    const result = new Promise<JobResult>((resolve, reject) => pending.set(jobId, { resolve, reject }));
    // Retries are the scheduler's; BullMQ re-runs only a job whose worker died (stalled).
    await queue.add(data.kind, data, {
      jobId,
      attempts: 1,
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
    if (!signal) return result;
    // Stopping the service stops the wait, not the worker: the run ends there, and the next
    // start cleans up by the run's tag as for any interrupted run.
    return Promise.race([
      result,
      new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
    ]).finally(() => pending.delete(jobId));
  };

  return {
    async run(group, request) {
      const result = await submit(
        { kind: 'run', group, consistency: request.consistency, tag: request.tag, resync: request.resync },
        request.tag,
        request.signal,
      );
      if (!result.ok) throw toError(result.error);
      return { ...result.run!, ranBy: result.worker };
    },
    async cleanup(group, tag, options) {
      const result = await submit({ kind: 'cleanup', group, tag }, `${tag}.cleanup.${Date.now()}`, options.signal);
      if (!result.ok) throw toError(result.error);
      return result.cleanup!;
    },
    async close() {
      clearInterval(poll);
      await events.close();
      await queue.close();
    },
  };
}
