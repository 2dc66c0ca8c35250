// Scale-out over BullMQ: a separate entry point so that `drkit status` never loads a Redis client.
export { redisOptions, RUN_QUEUE } from './queue-connection.js';
export type { JobResult, RunJob, WorkerStamp } from './queue-jobs.js';
export { openQueueRunner, type QueueRunner } from './queue-runner.js';
export { startQueueWorker, type QueueWorker, type QueueWorkerOptions } from './queue-worker.js';
export { lockGroup, type GroupLock } from './group-lock.js';
