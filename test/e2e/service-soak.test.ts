import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTracked } from '@drkit/core';
import { listJobs, parseProtectionConfig, readJournal, startProtectionService, type RunFinished } from '@drkit/service';
import { openQueueRunner, redisOptions } from '@drkit/service/queue';
import { hasRedis, startRedis, type RedisServer } from '../harness/redis.js';

const BIN = new URL('../../packages/cli/bin/drkit.js', import.meta.url).pathname;
const drkit = (args: string[]) => promisify(execFile)(process.execPath, [BIN, ...args], { maxBuffer: 1 << 26 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const GROUPS = 20;
const MACHINES = 10; // per group: 200 machines
const DISK = 64 * 1024;

let redis: RedisServer | undefined;
const workers: ChildProcess[] = [];
afterAll(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  await redis?.stop();
});

/** A real `drkit worker` process; its JSON log lines kept. */
function worker(url: string) {
  const child = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--stall-timeout', '3', '--concurrency', '2'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  workers.push(child);
  const log: Array<{ event: string }> = [];
  child.stderr!.on('data', (b: Buffer) => {
    for (const line of b.toString().split('\n').filter(Boolean)) log.push(JSON.parse(line) as { event: string });
  });
  return { child, log, exited: new Promise((r) => child.once('exit', r)) };
}

describe.skipIf(!hasRedis())('continuous protection at scale: drkit serve over BullMQ with three workers', () => {
  it('200 machines in 20 groups: a worker killed and Redis restarted, every point whole, no group twice at once', async () => {
    redis = await startRedis();
    const dir = await mkdtemp(join(tmpdir(), 'drkit-soak-'));
    const sites = Array.from({ length: GROUPS }, (_, g) => join(dir, `site-${g}`));
    for (const site of sites)
      for (let m = 0; m < MACHINES; m++) {
        await mkdir(join(site, `m${m}`), { recursive: true });
        await writeFile(join(site, `m${m}`, 'os.img'), randomBytes(DISK));
      }
    const config = parseProtectionConfig(
      {
        service: { maxRuns: 6, perEndpoint: 6 },
        groups: sites.map((site, g) => ({
          name: `g${g}`,
          target: `dir:store-${g}`,
          members: Array.from({ length: MACHINES }, (_, m) => ({ endpoint: `file://${site}`, machine: `m${m}` })),
        })),
      },
      join(dir, 'drkit.yaml'),
    );
    // Shortened clocks (the config's own minimum is a minute): crash points every 3 s, RPO 20 s.
    for (const g of config.groups) g.policy = { ...g.policy, crashIntervalMs: 3000, rpoThresholdMs: 20_000 };

    const pool = [worker(redis.url), worker(redis.url), worker(redis.url)];
    const runner = await openQueueRunner(redisOptions(redis.url), () => {});
    const service = await startProtectionService({
      config,
      runner,
      log: () => {},
      retryDelaysMs: { ladder: [1000, 2000, 4000], afterLadder: 5000 },
    });

    // Writes land on the sources while the service protects them.
    let writing = true;
    let lastWrite = 0;
    const writer = (async () => {
      while (writing) {
        const site = sites[randomInt(GROUPS)]!;
        // A frozen machine (an app point under way) holds its writes until the thaw, as an application would.
        const write = { offset: randomInt(DISK / 4096) * 4096, data: randomBytes(4096) };
        const machine = join(site, `m${randomInt(MACHINES)}`);
        while (
          await writeTracked(machine, 'os', [write]).then(
            () => false,
            () => true,
          )
        )
          await sleep(50);
        lastWrite = Date.now();
        await sleep(200);
      }
    })();

    // One worker dies mid-run (SIGKILL) …
    const victim = pool[0]!;
    const busy = () =>
      victim.log.filter((l) => l.event === 'job-started').length >
      victim.log.filter((l) => l.event === 'job-done').length;
    const end = Date.now() + 30_000;
    while (!busy() && Date.now() < end) await sleep(20);
    expect(busy()).toBe(true);
    victim.child.kill('SIGKILL');
    await victim.exited;
    // Its job goes to another worker once BullMQ sees it stalled (--stall-timeout 3 s) …
    const retried = () => pool.slice(1).some((w) => w.log.some((l) => l.event === 'job-retried'));
    while (!retried() && Date.now() < end + 30_000) await sleep(100);
    // … and Redis restarts once, with runs in flight.
    await redis.restart();
    await sleep(4000);
    writing = false;
    await writer;

    // Every group gets a point taken after the last write, then everything stops.
    const caughtUp = async () => {
      const finished = (await readJournal(config.stateDir)).filter(
        (r): r is RunFinished => r.type === 'run-finished' && r.ok,
      );
      return config.groups.every((g) => finished.some((r) => r.group === g.name && r.pointAt! > lastWrite));
    };
    const deadline = Date.now() + 90_000;
    while (!(await caughtUp())) {
      if (Date.now() > deadline) throw new Error('the groups did not all catch up after the writes stopped');
      await sleep(250);
    }
    expect(await service.stop(30_000)).toEqual({ interrupted: [] });
    await runner.close();
    for (const w of pool.slice(1)) w.child.kill('SIGTERM');
    await Promise.all(pool.slice(1).map((w) => w.exited));

    const journal = await readJournal(config.stateDir);
    const finished = journal.filter((r): r is RunFinished => r.type === 'run-finished');
    // The history accounts for every run: each started run finished (ok, or failed with a reason).
    const started = journal.filter((r) => r.type === 'run-started');
    expect(finished.map((r) => r.runId).sort()).toEqual(started.map((r) => (r as { runId: string }).runId).sort());
    expect((await listJobs(config.stateDir)).every((j) => j.state === 'ok' || (j.state === 'failed' && j.error))).toBe(
      true,
    );
    // The killed worker's run went to another worker (a second attempt), and cleaned up after the first.
    expect(pool.slice(1).some((w) => w.log.some((l) => l.event === 'job-retried'))).toBe(true);

    for (const g of config.groups) {
      const runs = finished.filter((r) => r.group === g.name && r.ok);
      expect(runs.length).toBeGreaterThanOrEqual(2);
      // Never two runs of a group at once, wherever they ran.
      const windows = runs.map((r) => r.worker!).sort((a, b) => a.startedAt - b.startedAt);
      for (let i = 1; i < windows.length; i++)
        expect(windows[i]!.startedAt).toBeGreaterThanOrEqual(windows[i - 1]!.endedAt);
      // No gap between points longer than the threshold: a dead worker and a Redis restart are absorbed.
      const times = runs.map((r) => r.pointAt!).sort((a, b) => a - b);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeLessThan(20_000);
    }
    expect(journal.some((r) => r.type === 'rpo' && r.breached && r.ageMs >= 0)).toBe(false);

    // Every point verifies, and each group's newest restores byte-identical to its sources.
    for (const [i, g] of config.groups.entries()) {
      const store = g.target;
      const verify = JSON.parse((await drkit(['verify', store, '--json'])).stdout) as Array<{ ok: boolean }>;
      expect(verify.length).toBeGreaterThanOrEqual(2);
      expect(verify.every((v) => v.ok)).toBe(true);
      const newest = finished.filter((r) => r.group === g.name && r.ok).at(-1)!.pointId!;
      const out = join(dir, `restored-${i}`);
      await drkit(['restore', store, newest, '--out', out]);
      for (let m = 0; m < MACHINES; m++)
        expect(
          (await readFile(join(out, `m${m}`, 'os.img'))).equals(await readFile(join(sites[i]!, `m${m}`, 'os.img'))),
        ).toBe(true);
    }
  }, 240_000);
});
