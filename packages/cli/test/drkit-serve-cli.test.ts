import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobEntry, ServiceStatus } from '@drkit/service';
import { freePort } from '../../../test/harness/free-port.js';
import { drkit } from './run-drkit.js';
import { journalLines, killServeProcesses, serveProcess, until } from './serve-process.js';

let dir: string;
let site: string;
let config: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drkit-serve-'));
  site = join(dir, 'site');
  for (const m of ['web', 'db']) {
    await mkdir(join(site, m), { recursive: true });
    await writeFile(join(site, m, 'os.img'), randomBytes(512 * 1024));
  }
  config = join(dir, 'drkit.yaml');
});
afterEach(killServeProcesses);

async function writeConfig(extra = '') {
  await writeFile(
    config,
    [
      'groups:',
      '  - name: site',
      '    target: dir:./store',
      '    members:',
      `      - { endpoint: "file://${site}", machine: web }`,
      `      - { endpoint: "file://${site}", machine: db }`,
      extra,
    ].join('\n'),
  );
}

const serve = () => serveProcess(config);
const journal = () => journalLines(join(dir, 'drkit-state'));
const finishedRuns = async () => (await journal()).filter((r) => r.type === 'run-finished');
const snapshotsLeft = async () => readdir(join(site, '.drkit-snapshots')).catch(() => [] as string[]);

describe('drkit serve', () => {
  it('protects a group at once, reports it in status, jobs and /metrics, and stops on SIGTERM', async () => {
    const port = await freePort();
    await writeConfig(`metrics: { listen: "127.0.0.1:${port}" }\n`);
    const service = serve();
    await until(async () => (await finishedRuns()).length === 1, 'the first point');

    const status = JSON.parse((await drkit(['status', config, '--json'])).stdout) as ServiceStatus;
    expect(status.service.running).toBe(true);
    const [group] = status.groups;
    expect(group).toMatchObject({ name: 'site', health: 'protected', lastPoint: { achieved: 'app' }, failures: 0 });
    // The app point came first; the next is a crash point 5 minutes on (Site Recovery's default).
    expect(group!.next!.consistency).toBe('crash');
    expect(Date.parse(group!.next!.at) - Date.parse(group!.lastPoint!.at)).toBeGreaterThanOrEqual(299_000);
    expect(group!.rpoSeconds).toBeLessThan(60);

    const jobs = JSON.parse((await drkit(['jobs', config, '--json'])).stdout) as JobEntry[];
    expect(jobs).toMatchObject([
      { group: 'site', requested: 'app', state: 'ok', achieved: 'app', bytesRead: 1024 * 1024 },
    ]);
    expect((await drkit(['jobs', config])).stdout).toMatch(/site {2}app {2}ok {2}[\d.]+s {2}point \S+ app, wrote/);

    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('drkit_points_total{group="site",consistency="app"} 1');
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({
      ok: true,
      groups: [{ name: 'site', health: 'protected' }],
    });

    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(service.log.map((l) => l.event)).toContain('stopped');
    expect((await journal()).at(-1)).toMatchObject({ type: 'service-stopped', interrupted: [] });
    const after = JSON.parse((await drkit(['status', config, '--json'])).stdout) as ServiceStatus;
    expect(after.service.running).toBe(false);
    // The point is a real one: it verifies and restores the disks' bytes.
    const verify = await drkit(['verify', `dir:${join(dir, 'store')}`, jobs[0]!.pointId!]);
    expect(verify.code).toBe(0);
    const out = join(dir, 'restored');
    expect((await drkit(['restore', `dir:${join(dir, 'store')}`, jobs[0]!.pointId!, '--out', out])).code).toBe(0);
    for (const m of ['web', 'db'])
      expect((await readFile(join(out, m, 'os.img'))).equals(await readFile(join(site, m, 'os.img')))).toBe(true);
  });

  it("a run killed with SIGKILL leaves tagged snapshots; the next start removes them and the run's point follows", async () => {
    await writeConfig();
    // Every read stalls: the run is under way (snapshots taken) when the service is killed.
    await writeFile(join(site, 'faults.json'), JSON.stringify([{ phase: 'read', delayMs: 60_000 }]));
    const first = serve();
    await until(async () => (await journal()).some((r) => r.type === 'run-started'), 'a run');
    await until(async () => (await snapshotsLeft()).length === 2, 'its snapshots');
    first.child.kill('SIGKILL');
    await first.exited;
    expect(await snapshotsLeft()).toHaveLength(2);

    await rm(join(site, 'faults.json'));
    const second = serve();
    // Seen once in a full CI run: no point within 45 s. Should it recur, the journal and the log say why.
    await until(
      async () => (await finishedRuns()).some((r) => r.ok),
      'the next point',
      45_000,
      async () => `journal: ${JSON.stringify(await journal())}\nlog: ${JSON.stringify(second.log)}`,
    );
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    // One run finished, and it made the point: the killed one never finished (the journal says why if not).
    expect(await finishedRuns(), JSON.stringify(await journal())).toMatchObject([{ ok: true }]);
    expect(await snapshotsLeft()).toEqual([]);
    // The service looked for the killed run's snapshots by its tag. (The reference adapter had
    // already reaped them itself — its snapshots name their run's pid; a vSphere run's stay, see
    // drkit-serve-vsphere.test.ts, where the service's cleanup is what removes them.)
    const killedTag = (await journal()).find((r) => r.type === 'run-started')!.tag;
    expect((await journal()).find((r) => r.type === 'cleanup')).toMatchObject({ group: 'site', tag: killedTag });
    const jobs = JSON.parse((await drkit(['jobs', config, '--json'])).stdout) as JobEntry[];
    expect(jobs.map((j) => j.state)).toEqual(['interrupted', 'ok']);
  });

  it('a refused login is not retried: the group waits in needs-attention until `drkit resume`', async () => {
    await writeConfig();
    await writeFile(
      join(site, 'faults.json'),
      JSON.stringify([{ phase: 'discover', code: 'auth-failed', message: 'the password was refused' }]),
    );
    const service = serve();
    await until(async () => (await journal()).some((r) => r.type === 'attention'), 'needs-attention');
    await new Promise((r) => setTimeout(r, 1500));
    expect((await journal()).filter((r) => r.type === 'run-started')).toHaveLength(1);
    const status = JSON.parse((await drkit(['status', config, '--json'])).stdout) as ServiceStatus;
    expect(status.groups[0]).toMatchObject({
      health: 'needs-attention',
      attention: expect.stringContaining('auth-failed: the password was refused'),
    });
    expect((await drkit(['status', config])).stdout).toMatch(/needs attention: auth-failed.*\(drkit resume site\)/);

    await rm(join(site, 'faults.json')); // the operator fixes the password
    const resume = await drkit(['resume', 'site', config]);
    expect(resume.stderr).toMatch(/resume requested/);
    await until(async () => (await finishedRuns()).some((r) => r.ok), 'the resumed run');
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  });

  it('refuses a bad config before starting, naming the field', async () => {
    await writeConfig('    policy: { crashInterval: 30s }\n');
    const run = await drkit(['serve', config]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('groups.0.policy: crash-consistent interval must be at least 1 minute');
    await writeFile(
      config,
      (await readFile(config, 'utf8'))
        .replace('dir:./store', 'nfs://x/y')
        .replace('    policy: { crashInterval: 30s }\n', ''),
    );
    const scheme = await drkit(['serve', config, '--check']);
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toMatch(/nfs/);
  });
});
