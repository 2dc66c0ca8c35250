import { afterEach, describe, expect, it } from 'vitest';
import { DrkitError } from '@drkit/core';
import {
  listJobs,
  readJournal,
  readServiceStatus,
  requestResume,
  RunJournal,
  startProtectionService,
  type AlertEvent,
  type ProtectionConfig,
  type ProtectionService,
} from '../src/index.js';
import { scriptedRunner } from './scripted-runner.js';
import { silentLog, testConfig, until } from './service-fixtures.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const running: ProtectionService[] = [];
const start = async (options: Parameters<typeof startProtectionService>[0]) => {
  const service = await startProtectionService({ log: silentLog, ...options });
  running.push(service);
  return service;
};
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop(1000)));
});

const fast = { crashMs: 150, appMs: 60_000, rpoMs: 60_000 };

describe('drkit serve: scheduling', () => {
  it('takes an app point first, then crash points on the interval, never two runs of a group at once', async () => {
    const config = await testConfig(1, fast);
    const { runner, calls } = scriptedRunner(() => sleep(250).then(() => undefined)); // longer than the interval
    const service = await start({ config, runner });
    await until(() => calls.filter((c) => c.endedAt).length >= 4, '4 runs');
    await service.stop();
    expect(calls[0]!.consistency).toBe('app');
    expect(calls.slice(1).every((c) => c.consistency === 'crash')).toBe(true);
    for (let i = 1; i < calls.length; i++) expect(calls[i]!.startedAt).toBeGreaterThanOrEqual(calls[i - 1]!.endedAt!);
    const jobs = await listJobs(config.stateDir);
    expect(jobs.length).toBe(calls.length);
    expect(jobs.every((j) => j.state === 'ok' && j.pointId && j.bytesWritten === 10)).toBe(true);
  });

  it('keeps at most perEndpoint runs on one endpoint, whatever the groups', async () => {
    const config = await testConfig(4, fast, { service: { maxRuns: 4, perEndpoint: 1 } });
    for (const g of config.groups) g.members = [{ endpoint: 'vsphere://vc01', machine: g.name }];
    let inFlight = 0;
    let most = 0;
    const { runner, calls } = scriptedRunner(async () => {
      most = Math.max(most, ++inFlight);
      await sleep(60);
      inFlight--;
      return undefined;
    });
    await start({ config, runner });
    await until(() => calls.filter((c) => c.endedAt).length >= 8, '8 runs');
    expect(most).toBe(1);
    expect(new Set(calls.map((c) => c.group)).size).toBe(4);
  });

  it('goes on where a stopped service left off: a fresh point is not taken again at start', async () => {
    const config = await testConfig(1, { crashMs: 60_000, appMs: 3_600_000, rpoMs: 900_000 });
    const first = scriptedRunner(async () => undefined);
    const service = await start({ config, runner: first.runner });
    await until(() => first.calls.some((c) => c.endedAt), 'the first point');
    await service.stop();
    const second = scriptedRunner(async () => undefined);
    const again = await start({ config, runner: second.runner });
    await sleep(500);
    expect(second.calls).toEqual([]);
    const [g] = again.groups();
    expect(g).toMatchObject({ health: 'protected', lastPoint: { id: 'p1', achieved: 'app' } });
    expect(Date.parse(g!.next!.at)).toBeGreaterThan(Date.now() + 50_000);
  });
});

describe('drkit serve: failure policy', () => {
  it('never retries an authentication failure (the old scheduler called it 94 times a second)', async () => {
    const config = await testConfig(1, fast);
    const { runner, calls } = scriptedRunner(async () => {
      throw new DrkitError('auth-failed', 'the password was refused');
    });
    const retry = { ladder: [50], afterLadder: 50 }; // a transient failure would be retried 20 times a second
    const service = await start({ config, runner, retryDelaysMs: retry });
    await sleep(1000);
    expect(calls).toHaveLength(1);
    expect(service.groups()[0]).toMatchObject({
      health: 'needs-attention',
      attention: 'auth-failed: the password was refused',
    });
    await service.stop();

    // A restart keeps the wait: the config did not change, the operator did nothing.
    const again = await start({ config, runner, retryDelaysMs: retry });
    await sleep(300);
    expect(calls).toHaveLength(1);
    expect((await readServiceStatus(config)).groups[0]).toMatchObject({ health: 'needs-attention' });

    // The operator resumes it (`drkit resume` from another shell): it runs once more, and fails the same way.
    await requestResume(config.stateDir, 'g0');
    await until(() => calls.length === 2, 'the resumed run');
    await sleep(300);
    expect(calls).toHaveLength(2);
    await again.stop();

    // A changed config (a new password file, say) ends the wait at the next start.
    const changed: ProtectionConfig = { ...config, groups: [{ ...config.groups[0]!, digest: 'changed' }] };
    await start({ config: changed, runner, retryDelaysMs: retry });
    await until(() => calls.length === 3, 'the run after the config changed');
    const journal = await readJournal(config.stateDir);
    expect(journal.filter((r) => r.type === 'resumed').map((r) => (r as { why: string }).why)).toEqual([
      'operator',
      'config-changed',
    ]);
  });

  it('retries transient failures on the ladder, not sooner', async () => {
    const config = await testConfig(1, fast);
    const { runner, calls } = scriptedRunner(async () => {
      throw new DrkitError('unreachable', 'no route to host');
    });
    const ladder = [100, 200, 400];
    await start({ config, runner, retryDelaysMs: { ladder, afterLadder: 800 } });
    await until(() => calls.length >= 5, '5 tries');
    const gaps = calls.slice(1, 5).map((c, i) => c.startedAt - calls[i]!.endedAt!);
    for (const [i, gap] of gaps.entries()) expect(gap).toBeGreaterThanOrEqual([...ladder, 800][i]! - 5);
    const jobs = await listJobs(config.stateDir);
    expect(jobs.slice(0, 4).map((j) => j.error?.code)).toEqual([
      'unreachable',
      'unreachable',
      'unreachable',
      'unreachable',
    ]);
  });

  it("removes a failed run's snapshots by its tag, and a killed run's at the next start", async () => {
    const config = await testConfig(1, { crashMs: 60_000, appMs: 3_600_000, rpoMs: 900_000 });
    // A service killed mid-run: the journal saw the run start, never end.
    const journal = await RunJournal.open(config.stateDir);
    await journal.append({ type: 'service-started', at: Date.now(), by: 'gone@host', config: config.file });
    await journal.append({
      type: 'run-started',
      at: Date.now(),
      runId: 'r0',
      group: 'g0',
      consistency: 'crash',
      tag: 'drkit-killed-run',
      resync: false,
      by: 'gone@host',
    });
    await journal.close();
    let first = true;
    const { runner, calls, cleanups } = scriptedRunner(async () => {
      if (first) {
        first = false;
        throw new DrkitError('platform', 'the datastore went away');
      }
      return undefined;
    });
    await start({ config, runner, retryDelaysMs: { ladder: [100], afterLadder: 100 } });
    await until(() => calls.length >= 2 && !!calls[1]!.endedAt, 'the retry');
    expect(cleanups.map((c) => c.tag)).toEqual(['drkit-killed-run', calls[0]!.tag]);
    const records = await readJournal(config.stateDir);
    expect(records.filter((r) => r.type === 'cleanup').map((r) => (r as { tag: string }).tag)).toEqual([
      'drkit-killed-run',
      calls[0]!.tag,
    ]);
    expect((await listJobs(config.stateDir))[0]).toMatchObject({ runId: 'r0', state: 'interrupted' });
  });
});

describe('drkit serve: stopping', () => {
  it('on stop, a run that finishes within the deadline finishes; no new run starts', async () => {
    const config = await testConfig(1, fast);
    const { runner, calls } = scriptedRunner(() => sleep(300).then(() => undefined));
    const service = await start({ config, runner });
    await until(() => calls.length === 1, 'a run');
    expect(await service.stop(5000)).toEqual({ interrupted: [] });
    await sleep(300);
    expect(calls).toHaveLength(1);
    expect((await listJobs(config.stateDir)).map((j) => j.state)).toEqual(['ok']);
  });

  it('a run past the deadline is stopped through its signal (resumably), recorded as stopped, not failed', async () => {
    const config = await testConfig(1, fast);
    const { runner, calls, cleanups } = scriptedRunner(
      (_call, request) =>
        new Promise((_, reject) =>
          request.signal.addEventListener('abort', () => reject(request.signal.reason), { once: true }),
        ),
    );
    const service = await start({ config, runner });
    await until(() => calls.length === 1, 'a run');
    expect(await service.stop(200)).toEqual({ interrupted: ['g0'] });
    const [job] = await listJobs(config.stateDir);
    expect(job).toMatchObject({ state: 'stopped', error: { code: 'aborted' } });
    // Its snapshots stay for the store to resume from; the next start cleans them up.
    expect(cleanups).toEqual([]);
    const next = scriptedRunner(async () => undefined);
    await start({ config, runner: next.runner });
    await until(() => next.cleanups.length === 1, 'the cleanup at start');
    expect(next.cleanups[0]!.tag).toBe(calls[0]!.tag);
    expect((await readServiceStatus(config)).groups[0]!.failures).toBe(0);
  });
});

describe('drkit serve: resync window and RPO events', () => {
  const hhmm = (d: Date) => `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  const windowFrom = (fromMin: number, toMin: number) =>
    `${hhmm(new Date(Date.now() + fromMin * 60_000))}-${hhmm(new Date(Date.now() + toMin * 60_000))}`;

  it('a store that needs a resync waits for the off-hours window, then resyncs', async () => {
    const failOnce = () => {
      let first = true;
      return scriptedRunner(async () => {
        if (!first) return undefined;
        first = false;
        throw new DrkitError('integrity', 'the replica was changed behind drkit', { details: { resyncNeeded: true } });
      });
    };
    const later = await testConfig(1, fast, {});
    later.groups[0]!.resyncWindow = { startMinute: 0, endMinute: 0, text: '' }; // replaced below
    const { parseWindow } = await import('../src/index.js');
    later.groups[0]!.resyncWindow = parseWindow(windowFrom(120, 180))!;
    const outside = failOnce();
    const service = await start({
      config: later,
      runner: outside.runner,
      retryDelaysMs: { ladder: [50], afterLadder: 50 },
    });
    await until(() => outside.calls.length === 1 && !!outside.calls[0]!.endedAt, 'the failed run');
    await sleep(500);
    expect(outside.calls).toHaveLength(1);
    expect(service.groups()[0]!.health).toBe('resync-waiting');
    await service.stop();

    const now = { ...later, groups: [{ ...later.groups[0]!, resyncWindow: parseWindow(windowFrom(-60, 60))! }] };
    const inside = scriptedRunner(async () => undefined);
    await start({ config: now, runner: inside.runner });
    await until(() => inside.calls.length === 1, 'the resync');
    expect(inside.calls[0]!.resync).toBe(true);
  });

  it('says when the RPO passes its threshold and when it is back, once each', async () => {
    const config = await testConfig(1, { crashMs: 300, appMs: 60_000, rpoMs: 400 });
    let fail = false;
    const { runner, calls } = scriptedRunner(async () => {
      if (fail) throw new DrkitError('unreachable', 'no route to host');
      return undefined;
    });
    const alerts: AlertEvent[] = [];
    const sink = { send: (e: AlertEvent) => void alerts.push(e), drain: async () => {} };
    await start({ config, runner, alerts: sink, retryDelaysMs: { ladder: [100], afterLadder: 100 } });
    await until(() => calls.length >= 1 && !!calls[0]!.endedAt, 'the first point');
    fail = true;
    await until(() => alerts.some((a) => a.event === 'rpo-breached'), 'the breach');
    fail = false;
    await until(() => alerts.some((a) => a.event === 'rpo-restored'), 'the recovery');
    const rpo = alerts.filter((a) => a.event.startsWith('rpo'));
    expect(rpo.map((a) => a.event)).toEqual(['rpo-breached', 'rpo-restored']);
    expect(rpo[0]).toMatchObject({ group: 'g0', thresholdSeconds: 0.4 });
    expect(rpo[0]!.rpoSeconds).toBeGreaterThanOrEqual(0);
  });
});

describe('drkit serve: change feeds', () => {
  it('follows one feed per endpoint and tells each group about its own members only', async () => {
    const config = await testConfig(3, { crashMs: 60_000, appMs: 3_600_000, rpoMs: 900_000 });
    // g0 and g1 share an endpoint; g2 is elsewhere and its feed is unsupported.
    config.groups[0]!.members = [{ endpoint: 'vsphere://vc01', machine: 'web' }];
    config.groups[1]!.members = [{ endpoint: 'vsphere://vc01', machine: 'db' }];
    const { runner } = scriptedRunner(async () => undefined);
    const watched: string[] = [];
    runner.watch = async (endpoint, { signal, onChange }) => {
      watched.push(endpoint.endpoint);
      if (endpoint.endpoint !== 'vsphere://vc01') throw new DrkitError('unsupported', 'no feed');
      const at = new Date().toISOString();
      onChange({
        at,
        change: 'disk-added',
        machineId: 'vm-1',
        name: 'web',
        disk: { id: 'vm-1/2001', name: 'disk-1', capacityBytes: 1024 },
      });
      onChange({ at, change: 'power', machineId: 'vm-9', name: 'other', from: 'on', to: 'off' });
      await new Promise((r) => signal.addEventListener('abort', r));
    };
    const service = await start({ config, runner });
    await until(async () => (await readJournal(config.stateDir)).some((r) => r.type === 'inventory'), 'the change');
    await service.stop();
    expect(watched.sort()).toEqual(['file:///site/2', 'vsphere://vc01']);
    const inventory = (await readJournal(config.stateDir)).filter((r) => r.type === 'inventory');
    expect(inventory).toEqual([
      expect.objectContaining({
        group: 'g0',
        message: 'web: disk disk-1 added (1024 bytes); the next point copies it whole',
      }),
    ]);
  });
});
