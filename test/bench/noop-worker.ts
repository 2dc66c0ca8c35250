// A `drkit worker` whose runs do nothing: the scheduling bench measures the queue and the
// service around the runs, not the runs. Started by service-bench.ts, one process per worker.
import { jsonLog } from '@drkit/service';
import { redisOptions, startQueueWorker } from '@drkit/service/queue';
import { noopRunner } from './noop-runner.js';

const url = process.argv[2]!;
const worker = await startQueueWorker(redisOptions(url), noopRunner, {
  log: jsonLog(() => {}),
  concurrency: Number(process.argv[3] ?? 8),
});
process.once('SIGTERM', () => void worker.close(5000).then(() => process.exit(0)));
