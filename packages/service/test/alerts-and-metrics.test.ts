import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startProtectionService, webhookAlerts, type AlertEvent } from '../src/index.js';
import { scriptedRunner } from './scripted-runner.js';
import { silentLog, testConfig, until } from './service-fixtures.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A local webhook receiver; answers with the statuses given, then 204. */
async function receiver(statuses: number[] = []) {
  const got: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    got.push({ headers: req.headers, body });
    res.writeHead(statuses.shift() ?? 204).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got };
}

describe('webhook alerts', () => {
  it('posts each event as JSON, signed with the shared secret, retrying a 503', async () => {
    const hook = await receiver([503]);
    const logs: string[] = [];
    const alerts = webhookAlerts({
      url: hook.url,
      secret: 's3cret',
      log: (_level, event) => void logs.push(event),
      retry: { minDelayMs: 10 },
    });
    const event: AlertEvent = {
      event: 'rpo-breached',
      group: 'web',
      at: new Date().toISOString(),
      rpoSeconds: 1200,
      thresholdSeconds: 900,
    };
    alerts.send(event);
    await alerts.drain(10_000);
    expect(hook.got).toHaveLength(2);
    const { headers, body } = hook.got[1]!;
    expect(JSON.parse(body)).toEqual(event);
    const expected = createHmac('sha256', 's3cret').update(`${headers['x-drkit-timestamp']}.${body}`).digest('hex');
    expect(headers['x-drkit-signature']).toBe(`sha256=${expected}`);
    expect(Math.abs(Number(headers['x-drkit-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    expect(logs).toEqual(['webhook-retry', 'webhook-delivered']);
  });

  it('does not retry a 4xx (a wrong URL stays wrong) and says so', async () => {
    const hook = await receiver([404]);
    const logs: string[] = [];
    const alerts = webhookAlerts({
      url: hook.url,
      log: (_l, event) => void logs.push(event),
      retry: { minDelayMs: 10 },
    });
    alerts.send({
      event: 'needs-attention',
      group: 'web',
      at: new Date().toISOString(),
      reason: 'auth-failed: refused',
    });
    await alerts.drain(10_000);
    expect(hook.got).toHaveLength(1);
    expect(hook.got[0]!.headers['x-drkit-signature']).toBeUndefined();
    expect(logs).toEqual(['webhook-failed']);
  });

  it('a local receiver gets the breach and the recovery of a running service, signed', async () => {
    const hook = await receiver();
    const config = await testConfig(1, { crashMs: 300, appMs: 60_000, rpoMs: 400 });
    let fail = false;
    const { runner, calls } = scriptedRunner(async () => {
      if (fail) throw Object.assign(new Error('no route'), {});
      return undefined;
    });
    const service = await startProtectionService({
      config,
      runner,
      log: silentLog,
      alerts: webhookAlerts({ url: hook.url, secret: 'k', log: silentLog }),
      retryDelaysMs: { ladder: [100], afterLadder: 100 },
    });
    closers.push(() => service.stop(1000));
    await until(() => calls.some((c) => c.endedAt), 'the first point');
    fail = true;
    await until(() => hook.got.length >= 1, 'the breach');
    fail = false;
    await until(() => hook.got.length >= 2, 'the recovery');
    const events = hook.got.map((g) => JSON.parse(g.body) as AlertEvent);
    expect(events.map((e) => e.event)).toEqual(['rpo-breached', 'rpo-restored']);
    for (const { headers, body } of hook.got)
      expect(headers['x-drkit-signature']).toBe(
        `sha256=${createHmac('sha256', 'k').update(`${headers['x-drkit-timestamp']}.${body}`).digest('hex')}`,
      );
  });
});

describe('metrics', () => {
  it('serves /metrics (RPO, points, failures, bytes, durations) and /healthz', async () => {
    const config = await testConfig(2, { crashMs: 60_000, appMs: 3_600_000, rpoMs: 900_000 });
    const { runner, calls } = scriptedRunner(async (call) => {
      if (call.group === 'g1') throw Object.assign(new Error('boom'));
      return undefined;
    });
    const service = await startProtectionService({ config, runner, log: silentLog });
    closers.push(() => service.stop(1000));
    const server = await service.metrics.listen('127.0.0.1', 0, () => ({ ok: true }));
    closers.push(() => new Promise((r) => server.close(r)));
    await until(() => calls.filter((c) => c.endedAt).length >= 2, 'both runs');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await until(
      async () => (await (await fetch(`${base}/metrics`)).text()).includes('drkit_run_failures_total{'),
      'the failure metric',
    );
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/drkit_group_rpo_seconds\{group="g0"\} \d+/);
    expect(text).not.toMatch(/drkit_group_rpo_seconds\{group="g1"\}/); // no point yet: no RPO to report
    expect(text).toContain('drkit_points_total{group="g0",consistency="app"} 1');
    expect(text).toContain('drkit_run_failures_total{group="g1",code="internal"} 1');
    expect(text).toContain('drkit_bytes_replicated_total{group="g0"} 10');
    expect(text).toMatch(/drkit_run_duration_seconds_count\{group="g0"\} 1/);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
  });
});
