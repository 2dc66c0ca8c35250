import { describe, expect, it } from 'vitest';
import {
  createReferenceAdapter,
  DrkitError,
  takeGroupPoint,
  type Adapter,
  type Fault,
  type GroupMember,
} from '../src/index.js';
import { frozenMarkers, makeSite, snapshotDirs } from './reference-site-helper.js';

const KiB = 1024;

async function group(spec: Parameters<typeof makeSite>[0], options: { faults?: Fault[]; fusedPhases?: boolean } = {}) {
  const root = await makeSite(spec);
  const adapter = createReferenceAdapter({ root, ...options });
  await adapter.connect();
  const members: GroupMember[] = Object.keys(spec).map((machineId) => ({ adapter, machineId, name: machineId }));
  return { root, adapter, members };
}

const three = {
  web: { disks: { os: 64 * KiB } },
  app: { disks: { os: 64 * KiB } },
  db: { disks: { os: 64 * KiB, data: 128 * KiB } },
};
const code = (c: string) => (e: unknown) => DrkitError.isInstance(e) && e.code === c;

describe('a consistency group point', () => {
  it('is app-consistent behind one shared freeze when every member freezes, and thaws them all', async () => {
    const { root, members } = await group(three);
    const point = await takeGroupPoint({ members, consistency: 'app' });
    expect(point.members.map((m) => m.snapshot.achieved)).toEqual(['app', 'app', 'app']);
    expect(point.statement).toMatchObject({ requested: 'app', achieved: 'app', basis: 'shared-freeze' });
    expect(point.statement.frozenMs).toBeLessThan(6000);
    expect(await frozenMarkers(root)).toEqual([]);
    expect(await snapshotDirs(root)).toHaveLength(3);
  });

  it('is crash-consistent within a measured skew when no member is frozen', async () => {
    const { members } = await group(three);
    const point = await takeGroupPoint({ members, consistency: 'crash' });
    expect(point.statement).toMatchObject({ requested: 'crash', achieved: 'crash', basis: 'independent', frozenMs: 0 });
    expect(point.statement.skewMs).toBeGreaterThanOrEqual(0);
  });

  it('ends the skew window when each platform confirmed its snapshot, not when take finished reading facts about it', async () => {
    const { adapter, members } = await group(three);
    // Each take confirms its snapshot at once, then spends 300 ms on facts (as vSphere reads the tree and disks).
    const slow: Adapter = Object.create(adapter, {
      snapshots: {
        value: {
          ...adapter.snapshots,
          async take(p: Parameters<Adapter['snapshots']['take']>[0], o: Parameters<Adapter['snapshots']['take']>[1]) {
            const taken = await adapter.snapshots.take(p, o);
            const confirmedAt = Date.now();
            await new Promise((r) => setTimeout(r, 300));
            return { ...taken, confirmedAt };
          },
        },
      },
    });
    const point = await takeGroupPoint({
      members: members.map((m) => ({ ...m, adapter: slow })),
      consistency: 'crash',
    });
    expect(point.statement.skewMs).toBeLessThan(250);
  });

  it('claims no shared barrier for platforms that fuse freeze and snapshot', async () => {
    const { members } = await group(three, { fusedPhases: true });
    const point = await takeGroupPoint({ members, consistency: 'app' });
    expect(point.members.every((m) => m.snapshot.achieved === 'app')).toBe(true);
    expect(point.statement.basis).toBe('independent');
  });

  it('spans different adapters: members on two sites share one point', async () => {
    const a = await group({ web: { disks: { os: 64 * KiB } } });
    const b = await group({ db: { disks: { os: 64 * KiB } } }, { fusedPhases: true });
    const point = await takeGroupPoint({ members: [...a.members, ...b.members], consistency: 'app' });
    expect(point.members.map((m) => m.member.adapter)).toEqual(expect.arrayContaining([a.adapter, b.adapter]));
    expect(point.statement.basis).toBe('independent');
  });

  it.each(['prepare', 'take'] as const)(
    'does not exist at all when a member fails in %s: everyone thawed, snapshots rolled back',
    async (phase) => {
      const { root, members } = await group(three, { faults: [{ phase, machine: 'db', code: 'platform' }] });
      await expect(takeGroupPoint({ members, consistency: 'app' })).rejects.toSatisfy(code('platform'));
      expect(await frozenMarkers(root)).toEqual([]);
      expect(await snapshotDirs(root)).toEqual([]);
    },
  );

  it('keeps the point when a release fails, warns, and relies on the freeze deadline (watchdog) to thaw', async () => {
    const { root, members } = await group(three, {
      faults: [{ phase: 'release', machine: 'web', code: 'unreachable' }],
    });
    const warnings: string[] = [];
    const point = await takeGroupPoint({
      members,
      consistency: 'app',
      freezeBudgetMs: 3000,
      onProgress: (e) => e.kind === 'warning' && warnings.push(e.message),
    });
    expect(point.members).toHaveLength(3);
    expect(warnings.join()).toMatch(/release of web failed/);
    expect(await frozenMarkers(root)).toEqual(['web']);
    const { readFile } = await import('node:fs/promises');
    const deadline = Number(await readFile(`${root}/web/.frozen`, 'utf8'));
    expect(deadline - Date.now()).toBeLessThanOrEqual(3000);
  });

  it('fails, thawed and rolled back, when the freeze budget runs out', async () => {
    const { root, members } = await group(three, { faults: [{ phase: 'take', machine: 'app', delayMs: 400 }] });
    await expect(takeGroupPoint({ members, consistency: 'app', freezeBudgetMs: 150 })).rejects.toSatisfy(
      code('timeout'),
    );
    expect(await frozenMarkers(root)).toEqual([]);
    expect(await snapshotDirs(root)).toEqual([]);
  });

  it('stops on abort, thawed and rolled back', async () => {
    const { root, members } = await group(three, { faults: [{ phase: 'take', machine: 'db', delayMs: 300 }] });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(takeGroupPoint({ members, consistency: 'app', signal: controller.signal })).rejects.toSatisfy(
      code('aborted'),
    );
    expect(await frozenMarkers(root)).toEqual([]);
    expect(await snapshotDirs(root)).toEqual([]);
  });

  describe('app-consistent with one member powered off', () => {
    const spec = { ...three, app: { disks: { os: 64 * KiB }, config: { powerState: 'off' as const } } };

    it('fails under the require policy, leaving nothing behind', async () => {
      const { root, members } = await group(spec);
      await expect(takeGroupPoint({ members, consistency: 'app', policy: 'require' })).rejects.toSatisfy(
        code('invalid-state'),
      );
      expect(await snapshotDirs(root)).toEqual([]);
      expect(await frozenMarkers(root)).toEqual([]);
    });

    it('becomes a crash-consistent point under fallback-to-crash, saying why', async () => {
      const { members } = await group(spec);
      const point = await takeGroupPoint({ members, consistency: 'app', policy: 'fallback-to-crash' });
      expect(point.statement).toMatchObject({ requested: 'app', achieved: 'crash', basis: 'independent' });
      expect(point.statement.reason).toMatch(/app.*powered off/);
      expect(point.members.every((m) => m.snapshot.requested === 'app' && m.snapshot.achieved === 'crash')).toBe(true);
    });
  });

  describe('a platform that silently falls back to crash consistency', () => {
    const spec = { ...three, db: { disks: { os: 64 * KiB }, config: { silentAppFallback: true } } };

    it('is caught and fails the point under require', async () => {
      const { root, members } = await group(spec);
      await expect(takeGroupPoint({ members, consistency: 'app' })).rejects.toThrow(
        /silently took a crash-consistent snapshot/,
      );
      expect(await snapshotDirs(root)).toEqual([]);
    });

    it('is reported per member and for the group under fallback-to-crash', async () => {
      const { members } = await group(spec);
      const point = await takeGroupPoint({ members, consistency: 'app', policy: 'fallback-to-crash' });
      expect(point.members.find((m) => m.member.machineId === 'db')!.snapshot.achieved).toBe('crash');
      expect(point.statement).toMatchObject({ achieved: 'crash', basis: 'independent' });
      expect(point.statement.reason).toMatch(/db: .*silently/);
    });
  });

  it('refuses an app request up front, under require, for an adapter that cannot freeze', async () => {
    const { adapter, members } = await group(three);
    const crashOnly: Adapter = Object.create(adapter, {
      capabilities: {
        get: () => ({
          ...adapter.capabilities,
          snapshot: { ...adapter.capabilities.snapshot, consistency: ['crash'] },
        }),
      },
    });
    await expect(
      takeGroupPoint({ members: [{ ...members[0]!, adapter: crashOnly }], consistency: 'app' }),
    ).rejects.toSatisfy(code('unsupported'));
  });
});
