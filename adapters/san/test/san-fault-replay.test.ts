import { describe, expect, it } from 'vitest';
import { collectInventory, takeGroupPoint } from '@drkit/core';
import { createHttpTransport, type HttpTransport } from '@drkit/http';
import { Redactor, recordHttp, replayHttp } from '@drkit/record';
import { startFakeOntap } from '../../../test/harness/fake-ontap.js';
import { startFakePure } from '../../../test/harness/fake-pure.js';
import { createSanAdapter, type SanAdapter } from '../src/index.js';

const FIXTURES = new URL('../../../fixtures/san/', import.meta.url).pathname;
const RECORD = process.env.DRKIT_RECORD_SAN === '1';

/**
 * The faults an array really throws at a client, as recorded exchanges: job polling, a
 * busy answer with Retry-After, an expired session, and a failed commit of a two-phase
 * snapshot. Each scenario runs live against the mock array (recording when asked) and
 * then on replay with the same assertions; the faults are injected only live — on replay
 * they come from the recording.
 */
interface Inject {
  busy?(status: 429 | 503, path: RegExp, method: string): void;
  failNextCommit?(group: string): void;
  expireSessions?(): void;
}

async function ontapScenario(adapter: SanAdapter, inject: Inject): Promise<void> {
  await adapter.connect();
  inject.busy?.(503, /^\/api\/storage\/luns$/, 'GET');
  const inv = await collectInventory(adapter.site, adapter.discover());
  expect(inv.machines.map((m) => m.name).sort()).toEqual(['cg_db', 'cg_web']);
  const members = inv.machines.map((m) => ({ adapter, machineId: m.id, name: m.name }));
  inject.failNextCommit?.('cg_web');
  await expect(takeGroupPoint({ members, consistency: 'crash', tag: 'drkit-fault-scenario' })).rejects.toThrow(
    /cg_web \(take\).*offline/,
  );
  // Rolled back: neither group keeps a snapshot with the tag.
  expect(await adapter.snapshots.listTagged('drkit-fault-scenario')).toEqual([]);
  const point = await takeGroupPoint({ members, consistency: 'crash', tag: 'drkit-fault-retry' });
  expect(point.statement.basis).toBe('shared-freeze');
  for (const m of point.members) await adapter.snapshots.delete(m.snapshot);
}

async function pureScenario(adapter: SanAdapter, inject: Inject): Promise<void> {
  await adapter.connect();
  inject.expireSessions?.();
  const inv = await collectInventory(adapter.site, adapter.discover());
  expect(inv.machines.map((m) => m.name).sort()).toEqual(['pg-esx', 'pg-sql']);
  inject.busy?.(429, /protection-group-snapshots$/, 'POST');
  const sql = inv.machines.find((m) => m.name === 'pg-sql')!;
  const point = await takeGroupPoint({
    members: [{ adapter, machineId: sql.id, name: sql.name }],
    consistency: 'crash',
    tag: 'drkit-fault-scenario',
  });
  expect(point.members[0]!.snapshot.id).toBe('pg-sql.drkit-fault-scenario');
  await adapter.snapshots.delete(point.members[0]!.snapshot);
  expect(await adapter.snapshots.listTagged('drkit-fault-scenario')).toEqual([]);
}

describe('ONTAP faults: job polling, 503 + Retry-After, a failed two-phase commit', () => {
  const dir = `${FIXTURES}ontap-faults`;
  it(`live, against the mock cluster${RECORD ? ' (recording)' : ''}`, async () => {
    const ontap = await startFakeOntap({ jobPolls: 2 });
    let transport: HttpTransport = createHttpTransport({ url: ontap.url });
    const recorder = RECORD
      ? await recordHttp(
          transport,
          dir,
          new Redactor({ secrets: [ontap.password, ontap.username], hosts: ['127.0.0.1'] }),
          { volatileTokens: true },
        )
      : undefined;
    transport = recorder ?? transport;
    const adapter = createSanAdapter({
      family: 'ontap',
      transport,
      endpoint: 'ontap://admin@cluster1',
      username: ontap.username,
      secret: async () => ontap.password,
    });
    try {
      await ontapScenario(adapter, {
        busy: (status, path, method) => ontap.busyOnce({ status, path, method, retryAfter: '1' }),
        failNextCommit: (g) => ontap.failNextCommit(g),
      });
      expect(ontap.log.filter((l) => l.startsWith('GET /api/cluster/jobs/')).length).toBeGreaterThan(10);
    } finally {
      await adapter.close();
      await recorder?.finish({
        adapter: 'san',
        product: 'NetApp ONTAP 9.13.1 (mock array, test/harness/fake-ontap.ts)',
        endpoint: 'ontap://admin@cluster1.example.invalid',
        notes: 'fault scenario; recorded by pnpm record:san',
        parameters: { family: 'ontap' },
      });
      await ontap.stop();
    }
  });

  it.skipIf(RECORD)('on replay of fixtures/san/ontap-faults', async () => {
    const replay = await replayHttp(dir);
    await ontapScenario(
      createSanAdapter({
        family: 'ontap',
        transport: replay,
        endpoint: 'ontap://replay',
        username: 'replay',
        secret: async () => 'replay',
      }),
      {},
    );
    expect(replay.remaining()).toBe(0);
  });
});

describe('FlashArray faults: an expired session (401 → login again), 429 + Retry-After', () => {
  const dir = `${FIXTURES}flasharray-faults`;
  it(`live, against the mock array${RECORD ? ' (recording)' : ''}`, async () => {
    const pure = await startFakePure();
    let transport: HttpTransport = createHttpTransport({ url: pure.url });
    const recorder = RECORD
      ? await recordHttp(transport, dir, new Redactor({ secrets: [pure.apiToken], hosts: ['127.0.0.1'] }), {
          volatileTokens: true,
        })
      : undefined;
    transport = recorder ?? transport;
    const adapter = createSanAdapter({
      family: 'pure',
      transport,
      endpoint: 'pure://flasharray-1',
      secret: async () => pure.apiToken,
    });
    try {
      await pureScenario(adapter, {
        busy: (status, path, method) => pure.busyOnce({ status, path, method, retryAfter: '1' }),
        expireSessions: () => pure.expireSessions(),
      });
      expect(pure.logins()).toBe(2);
    } finally {
      await adapter.close();
      await recorder?.finish({
        adapter: 'san',
        product: 'Purity//FA 6.5.8, REST 2.21 (mock array, test/harness/fake-pure.ts)',
        endpoint: 'pure://flasharray-1.example.invalid',
        notes: 'fault scenario; recorded by pnpm record:san',
        parameters: { family: 'pure' },
      });
      await pure.stop();
    }
  });

  it.skipIf(RECORD)('on replay of fixtures/san/flasharray-faults', async () => {
    const replay = await replayHttp(dir);
    const adapter = createSanAdapter({
      family: 'pure',
      transport: replay,
      endpoint: 'pure://replay',
      secret: async () => 'replay',
    });
    await pureScenario(adapter, {});
    await adapter.close();
    expect(replay.remaining()).toBe(0);
  });
});
