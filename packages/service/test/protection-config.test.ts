import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nextInWindow, parseBytes, parseDuration, parseWindow, readProtectionConfig } from '../src/index.js';

async function configFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'drkit-config-'));
  const file = join(dir, 'drkit.yaml');
  await writeFile(file, text);
  return file;
}

const GROUP = `
groups:
  - name: web
    target: dir:./store
    members:
      - { endpoint: "vsphere://dr@vc01", machine: web01, passwordFile: ./vc.pw, thumbprint: "AB:CD" }
`;

describe('protection config', () => {
  it("reads YAML with Site Recovery's defaults, paths resolved beside the config", async () => {
    const file = await configFile(GROUP);
    const config = await readProtectionConfig(file);
    const dir = join(file, '..');
    expect(config.stateDir).toBe(join(dir, 'drkit-state'));
    expect(config.service).toEqual({ maxRuns: 4, perEndpoint: 2, stopDeadlineMs: 60_000 });
    const [g] = config.groups;
    expect(g).toMatchObject({
      name: 'web',
      target: `dir:${join(dir, 'store')}`,
      changeTracking: true,
      appFailure: 'fallback-to-crash',
      policy: { crashIntervalMs: 300_000, appIntervalMs: 14_400_000, retentionMs: 86_400_000, rpoThresholdMs: 900_000 },
    });
    expect(g!.members[0]).toEqual({
      endpoint: 'vsphere://dr@vc01',
      machine: 'web01',
      passwordFile: join(dir, 'vc.pw'),
      thumbprint: 'AB:CD',
    });
  });

  it('reads JSON too, with every option', async () => {
    const file = await configFile(
      JSON.stringify({
        state: '/var/lib/drkit',
        service: { maxRuns: 8, perEndpoint: 3, stopDeadline: '2m' },
        alerts: { webhook: { url: 'https://hooks.example/drkit', secretFile: 'hook.key' } },
        metrics: { listen: '127.0.0.1:9464' },
        groups: [
          {
            name: 'db',
            target: 'azure://acct/drkit',
            targetOptions: { connectionStringFile: 'azure.conn' },
            members: [{ endpoint: 'ssh://root@db01', machine: 'db01' }],
            appFailure: 'fallback-to-crash',
            freezeBudget: '8s',
            changeTracking: false,
            policy: {
              crashInterval: '10m',
              appInterval: '1h',
              retention: '48h',
              rpoThreshold: '30m',
              resyncWindow: '22:00-04:00',
              maxRate: '50MiB',
            },
          },
        ],
      }),
    );
    const config = await readProtectionConfig(file);
    expect(config.metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(config.alerts.webhook).toEqual({
      url: 'https://hooks.example/drkit',
      secretFile: join(file, '..', 'hook.key'),
    });
    expect(config.groups[0]).toMatchObject({
      targetOptions: { connectionStringFile: join(file, '..', 'azure.conn') },
      freezeBudgetMs: 8000,
      maxBytesPerSecond: 50 * 1024 * 1024,
      resyncWindow: { startMinute: 22 * 60, endMinute: 4 * 60 },
      policy: { crashIntervalMs: 600_000, appIntervalMs: 3_600_000, retentionMs: 172_800_000 },
    });
  });

  it.each([
    ['an unknown field', `${GROUP}    schedule: hourly\n`, 'groups.0: must NOT have additional properties "schedule"'],
    [
      'no members',
      'groups:\n  - { name: web, target: "dir:x", members: [] }\n',
      'groups.0.members: must NOT have fewer than 1 items',
    ],
    [
      'a bad duration',
      `${GROUP}    policy: { crashInterval: 5 minutes }\n`,
      'groups.0.policy.crashInterval: "5 minutes" is not a duration',
    ],
    [
      'a policy out of bounds',
      `${GROUP}    policy: { appInterval: 20h }\n`,
      'groups.0.policy: app-consistent interval must be 1–12 hours',
    ],
    [
      'a crash interval below a minute',
      `${GROUP}    policy: { crashInterval: 10s }\n`,
      'crash-consistent interval must be at least 1 minute',
    ],
    ['a bad window', `${GROUP}    policy: { resyncWindow: "25:00-04:00" }\n`, 'is not a window like 22:00-04:00'],
    [
      'a bad rate',
      `${GROUP}    policy: { maxRate: fast }\n`,
      'groups.0.policy.maxRate: "fast" is not a size per second',
    ],
    [
      'a wrong app policy',
      `${GROUP}    appFailure: maybe\n`,
      'groups.0.appFailure: must be equal to one of the allowed values: require, fallback-to-crash',
    ],
    [
      'two groups of one name',
      `${GROUP}${GROUP.replace('groups:\n', '')}`,
      'groups.1.name: "web" is used by two groups',
    ],
    ['not YAML', 'groups: [\n', 'not valid YAML or JSON'],
  ])('refuses %s, naming the field', async (_what, text, message) => {
    const file = await configFile(text);
    await expect(readProtectionConfig(file)).rejects.toMatchObject({
      code: 'bad-input',
      message: expect.stringContaining(message),
    });
  });

  it('a missing file is bad input naming it', async () => {
    await expect(readProtectionConfig('/nonexistent/drkit.yaml')).rejects.toThrow(
      '/nonexistent/drkit.yaml: no such file',
    );
  });
});

describe('config units', () => {
  it('reads durations, sizes and daily windows', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('5')).toBeUndefined();
    expect(parseBytes('1GB')).toBe(1e9);
    expect(parseBytes('1.5KiB')).toBe(1536);
    expect(parseWindow('22:00-22:00')).toBeUndefined();
  });

  it('finds the next time inside a window that wraps midnight', () => {
    const w = parseWindow('22:00-04:00')!;
    const at = (h: number, m = 0) => new Date(2026, 11, 2, h, m).getTime();
    expect(nextInWindow(w, at(23))).toBe(at(23));
    expect(nextInWindow(w, at(3, 59))).toBe(at(3, 59));
    expect(nextInWindow(w, at(4))).toBe(at(22));
    expect(nextInWindow(w, at(12))).toBe(at(22));
  });
});
