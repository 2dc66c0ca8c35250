// Scheduling overhead of drkit serve, in-process and over BullMQ: 1,000 groups whose runs do
// nothing, each due every --interval seconds (the config's minimum is a minute; the bench
// shortens it to load the scheduler harder). Reports how late runs start after their due
// time (p50, p99; goal p99 < 1 s) and the service's CPU use. Then throughput: the same
// groups of real reference machines replicated by 1 vs 3 real `drkit worker` processes.
//   pnpm build && pnpm bench:service [-- --groups 1000 --interval 20 --seconds 60]
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  jsonLog,
  parseProtectionConfig,
  readJournal,
  startProtectionService,
  type GroupRunner,
  type RunFinished,
} from '@drkit/service';
import { openQueueRunner, redisOptions } from '@drkit/service/queue';
import { startRedis } from '../harness/redis.js';
import { numberArg } from './bench-args.js';
import { noopRunner } from './noop-runner.js';

const GROUPS = numberArg('groups', 1000);
const INTERVAL_S = numberArg('interval', 20);
const SECONDS = numberArg('seconds', 60);
const BIN = new URL('../../packages/cli/bin/drkit.js', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;

async function config(groups: number, site?: (g: number) => string) {
  const dir = await mkdtemp(join(tmpdir(), 'drkit-service-bench-'));
  const c = parseProtectionConfig(
    {
      service: { maxRuns: 64, perEndpoint: 64 },
      groups: Array.from({ length: groups }, (_, g) => ({
        name: `g${g}`,
        target: `dir:store-${g}`,
        members: [{ endpoint: site ? `file://${site(g)}` : `file:///nowhere/${g % 50}`, machine: 'm' }],
      })),
    },
    join(dir, 'drkit.yaml'),
  );
  return c;
}

/** How late each crash run started after it was due (ms), from the journal. */
async function lateness(stateDir: string, intervalMs: number): Promise<number[]> {
  const journal = await readJournal(stateDir);
  const last = new Map<string, number>();
  const late: number[] = [];
  for (const r of journal) {
    if (r.type === 'run-started' && r.consistency === 'crash' && last.has(r.group))
      late.push(r.at - (last.get(r.group)! + intervalMs));
    if (r.type === 'run-finished' && (r as RunFinished).ok) last.set(r.group, (r as RunFinished).pointAt!);
  }
  return late;
}

async function scheduling(mode: 'in-process' | 'bullmq') {
  const c = await config(GROUPS);
  for (const g of c.groups) g.policy = { ...g.policy, crashIntervalMs: INTERVAL_S * 1000, appIntervalMs: 3_600_000 };
  const redis = mode === 'bullmq' ? await startRedis() : undefined;
  const workers: ChildProcess[] = [];
  let runner: GroupRunner & { close?: () => Promise<void> } = noopRunner;
  if (redis) {
    for (let i = 0; i < 3; i++)
      workers.push(
        spawn('npx', ['tsx', new URL('./noop-worker.ts', import.meta.url).pathname, redis.url, '16'], {
          stdio: 'ignore',
        }),
      );
    runner = await openQueueRunner(
      redisOptions(redis.url),
      jsonLog(() => {}),
    );
    await sleep(3000); // the workers connect
  }
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const service = await startProtectionService({ config: c, runner, log: jsonLog(() => {}) });
  await sleep(SECONDS * 1000);
  await service.stop(10_000);
  const cpu = process.cpuUsage(cpu0);
  const wall = Date.now() - t0;
  await runner.close?.();
  for (const w of workers) w.kill('SIGTERM');
  await redis?.stop();
  const late = await lateness(c.stateDir, INTERVAL_S * 1000);
  const runs = (await readJournal(c.stateDir)).filter((r) => r.type === 'run-finished').length;
  return {
    mode,
    runs,
    crashRunsMeasured: late.length,
    lateP50ms: pct(late, 0.5),
    lateP99ms: pct(late, 0.99),
    serviceCpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / wall) * 1000) / 10,
  };
}

/** Wall time until every group of `groups` reference machines has its first point, with `n` real drkit workers. */
async function throughput(workersCount: number, groups: number) {
  const dir = await mkdtemp(join(tmpdir(), 'drkit-service-tp-'));
  const site = (g: number) => join(dir, `site-${g}`);
  for (let g = 0; g < groups; g++) {
    await mkdir(join(site(g), 'm'), { recursive: true });
    await writeFile(join(site(g), 'm', 'os.img'), randomBytes(4 * 1024 * 1024));
  }
  const c = await config(groups, site);
  const redis = await startRedis();
  const workers = Array.from({ length: workersCount }, () =>
    spawn(process.execPath, [BIN, 'worker', '--queue', redis.url], { stdio: 'ignore' }),
  );
  await sleep(2000);
  const runner = await openQueueRunner(
    redisOptions(redis.url),
    jsonLog(() => {}),
  );
  const t0 = Date.now();
  const service = await startProtectionService({ config: c, runner, log: jsonLog(() => {}) });
  for (;;) {
    const done = (await readJournal(c.stateDir)).filter(
      (r) => r.type === 'run-finished' && (r as RunFinished).ok,
    ).length;
    if (done >= groups) break;
    await sleep(100);
  }
  const ms = Date.now() - t0;
  await service.stop(10_000);
  await runner.close();
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))));
  await redis.stop();
  return ms;
}

const results = [];
for (const mode of ['in-process', 'bullmq'] as const) {
  const r = await scheduling(mode);
  results.push(r);
  console.log(JSON.stringify(r));
}
const tpGroups = numberArg('tp-groups', 60);
const one = await throughput(1, tpGroups);
const three = await throughput(3, tpGroups);
console.log(
  JSON.stringify({
    throughput: `${tpGroups} groups x 4 MiB, first points`,
    oneWorkerMs: one,
    threeWorkersMs: three,
    speedup: Math.round((one / three) * 100) / 100,
  }),
);
