import { afterEach, describe, expect, it } from 'vitest';
import { collectInventory, DrkitError } from '@drkit/core';
import { createHttpTransport } from '@drkit/http';
import { startFakePure, type FakePure } from '../../../test/harness/fake-pure.js';
import { createSanAdapter, pureVolumeWwn, type SanAdapter } from '../src/index.js';

// Against the mock FlashArray of test/harness (no FlashArray simulator exists).
let pure: FakePure | undefined;
afterEach(async () => {
  await pure?.stop();
  pure = undefined;
});

async function connected(token?: string): Promise<SanAdapter> {
  pure = await startFakePure();
  const p = pure;
  const adapter = createSanAdapter({
    family: 'pure',
    transport: createHttpTransport({ url: p.url }),
    endpoint: 'pure://flasharray-1',
    secret: async () => token ?? p.apiToken,
  });
  await adapter.connect();
  return adapter;
}

const code = (c: string) => (e: unknown) => DrkitError.isInstance(e) && e.code === c;
const machine = (adapter: SanAdapter, pgroup: string) => `${adapter.site.instanceId}/group/${pgroup}`;

describe('FlashArray driver', () => {
  it('speaks the newest REST 2.x the array offers, with a session token from /login', async () => {
    const adapter = await connected();
    expect(adapter.capabilities.apiVersion).toBe('2.21');
    expect(pure!.log.slice(0, 2)).toEqual(['GET /api/api_version', 'POST /api/2.21/login']);
  });

  it('refuses a wrong API token as auth-failed, naming no secret', async () => {
    await expect(connected('not-the-token')).rejects.toSatisfy(
      (e: unknown) => code('auth-failed')(e) && !(e as Error).message.includes('not-the-token'),
    );
  });

  it('resolves protection groups to volumes, by volume and by host membership; leaves replicated-in groups to their source', async () => {
    const adapter = await connected();
    const inv = await collectInventory(adapter.site, adapter.discover());
    const byName = Object.fromEntries(inv.machines.map((m) => [m.name, m]));
    expect(Object.keys(byName).sort()).toEqual(['pg-esx', 'pg-sql']);
    expect(byName['pg-sql']!.disks.map((d) => d.name).sort()).toEqual(['sql-data', 'sql-log']);
    expect(byName['pg-esx']!.disks.map((d) => d.name)).toEqual(['esx-ds01']);
    for (const d of inv.machines.flatMap((m) => m.disks)) expect(d.wwn).toMatch(/^naa\.624a9370[0-9a-f]{24}$/);
    expect(inv.warnings.join('\n')).toMatch(/1 volume\(s\) are in no protection group.*old-scratch/);
    // Paging followed continuation tokens (two items per answer here).
    expect(pure!.log.some((l) => l.startsWith('GET /api/2.21/volumes') && l.includes('continuation_token=2'))).toBe(
      true,
    );
  });

  it('logs in again, once, when the session expires mid-run, and finishes the call', async () => {
    const adapter = await connected();
    pure!.expireSessions();
    const inv = await collectInventory(adapter.site, adapter.discover());
    expect(inv.machines).toHaveLength(2);
    expect(pure!.logins()).toBe(2);
  });

  it('waits out a 429 for as long as Retry-After says', async () => {
    const adapter = await connected();
    pure!.busyOnce({ method: 'POST', path: /protection-group-snapshots$/, status: 429, retryAfter: '1' });
    const started = Date.now();
    const prepared = await adapter.snapshots.prepare({
      machineId: machine(adapter, 'pg-sql'),
      consistency: 'crash',
      tag: 'drkit-busy',
    });
    const taken = await adapter.snapshots.take(prepared);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(taken.id).toBe('pg-sql.drkit-busy');
  });

  it('snapshots a protection group in one call (no fence) and destroys rather than eradicates', async () => {
    const adapter = await connected();
    const prepared = await adapter.snapshots.prepare({
      machineId: machine(adapter, 'pg-sql'),
      consistency: 'crash',
      tag: 'drkit-pg',
    });
    expect(prepared.frozenAt).toBeUndefined();
    const taken = await adapter.snapshots.take(prepared);
    expect(taken).toMatchObject({ achieved: 'crash', disks: [{ name: 'sql-data' }, { name: 'sql-log' }] });
    expect(pure!.log.find((l) => l.startsWith('POST /api/2.21/protection-group-snapshots'))).toMatch(
      /source_names=pg-sql&apply_retention=true/,
    );
    await adapter.snapshots.delete(taken);
    await adapter.snapshots.delete(taken); // already gone: fine
    expect(pure!.snapshotNames(true)).toEqual(['pg-sql.drkit-pg']);
    expect(await adapter.snapshots.listTagged('drkit-pg')).toEqual([]);
  });

  it('refuses a tag that is no Pure suffix or could be read as a filter expression', async () => {
    const adapter = await connected();
    for (const tag of ["x' or suffix='y", 'drkit_underscore', '1starts-with-digit']) {
      await expect(
        adapter.snapshots.prepare({ machineId: machine(adapter, 'pg-sql'), consistency: 'crash', tag }),
      ).rejects.toSatisfy(code('bad-input'));
    }
    expect(pure!.log.filter((l) => l.includes('protection-group-snapshots'))).toEqual([]);
  });

  it('reads replication links, sends a snapshot now, and says failover is not driven here', async () => {
    const adapter = await connected();
    const [link] = await adapter.arrayReplication.links();
    expect(link).toMatchObject({
      id: 'pg-sql>flasharray-dr',
      groupId: 'pg-sql',
      state: 'uninitialized',
      healthy: false,
    });
    await adapter.arrayReplication.update(link!.id);
    expect(pure!.log.some((l) => l.includes('replicate_now=true'))).toBe(true);
    const [after] = await adapter.arrayReplication.links();
    expect(after).toMatchObject({ state: 'idle', healthy: true });
    expect(after!.lagSeconds).toBeGreaterThanOrEqual(0);
    await expect(adapter.arrayReplication.failover(link!.id)).rejects.toSatisfy(code('unsupported'));
  });

  it('adds a replication target to a protection group, and says the target has yet to allow it', async () => {
    const adapter = await connected();
    const link = await adapter.arrayReplication.create('pg-esx', { name: 'flasharray-dr' });
    expect(link).toMatchObject({
      id: 'pg-esx>flasharray-dr',
      state: 'paused',
      healthy: false,
      reasons: ['flasharray-dr has not allowed protection group pg-esx'],
    });
    await expect(adapter.arrayReplication.create('pg-esx', { name: 'no-such-array' })).rejects.toThrow(
      /Array connection does not exist/,
    );
  });

  it('spells a volume serial as the NAA id hosts see', () => {
    expect(pureVolumeWwn('F4252922ADE248CF000113E6')).toBe('naa.624a9370f4252922ade248cf000113e6');
    expect(pureVolumeWwn('nope')).toBeUndefined();
  });
});
