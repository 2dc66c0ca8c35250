import { describe, expect, it } from 'vitest';
import {
  DrkitError,
  takeGroupPoint,
  type Adapter,
  type Capabilities,
  type Consistency,
  type GroupMember,
  type PreparedSnapshot,
} from '../src/index.js';

/**
 * Recording doubles (not a platform): each adapter logs its phase calls in one shared
 * timeline, so the order the coordinator imposes across layers is visible.
 */
function double(
  name: string,
  log: string[],
  opts: {
    app?: boolean;
    freezeOnly?: boolean;
    fused?: boolean;
    fence?: boolean;
    failTake?: boolean;
    thawEarly?: boolean;
  } = {},
): Adapter {
  const capabilities: Capabilities = {
    discovery: true,
    snapshot: {
      consistency: opts.app ? ['crash', 'app'] : ['crash'],
      fusedPhases: !!opts.fused,
      mechanisms: ['double'],
      ...(opts.freezeOnly && { freezeOnly: true }),
    },
    replication: { diskRead: false, changeTracking: false, remoteHashing: false },
  };
  return {
    specificationVersion: 'v1',
    kind: 'double',
    capabilities,
    site: { adapter: 'double', endpoint: name },
    connect: async () => capabilities,
    discover: async function* () {},
    replication: {
      openDisk: async () => {
        throw new Error('no');
      },
    },
    close: async () => {},
    snapshots: {
      prepare: async (r) => {
        log.push(`prepare ${name}${r.freezeOnly ? ' (freeze only)' : ''} ${r.consistency}`);
        const frozen = (r.consistency === 'app' && !opts.fused) || opts.fence;
        return {
          machineId: r.machineId,
          request: r,
          handle: null,
          ...(frozen && { frozenAt: Date.now() }),
        } as PreparedSnapshot;
      },
      take: async (p) => {
        log.push(`take ${name}`);
        if (opts.failTake) throw new DrkitError('platform', `${name} commit failed`);
        const achieved: Consistency = opts.thawEarly ? 'crash' : p.request.consistency;
        return {
          id: `${name}-snap`,
          machineId: p.machineId,
          takenAt: '',
          requested: p.request.consistency,
          achieved,
          warnings: opts.thawEarly ? ['the freeze ran out'] : [],
          changeTokens: {},
          disks: p.request.freezeOnly ? [] : [{ diskId: 'd', name: 'd', sizeBytes: 1 }],
          tag: p.request.tag,
        };
      },
      release: async () => void log.push(`release ${name}`),
      delete: async (s) => void log.push(`delete ${s.id}`),
      listTagged: async () => [],
    },
  };
}

describe('members under others (an array group beneath a server)', () => {
  it('freezes the server before the array fences, snapshots the array inside the freeze, thaws the server last; the array point is app', async () => {
    const log: string[] = [];
    const members: GroupMember[] = [
      { adapter: double('db01', log, { freezeOnly: true }), machineId: 'db01', name: 'db01', freezeOnly: true },
      { adapter: double('cg_db', log, { fence: true }), machineId: 'cg_db', name: 'cg_db', under: ['db01'] },
    ];
    const point = await takeGroupPoint({ members, consistency: 'app' });
    expect(log).toEqual([
      'prepare db01 (freeze only) app',
      'prepare cg_db crash',
      'take db01',
      'take cg_db',
      'release cg_db',
      'release db01',
    ]);
    const array = point.members.find((m) => m.member.machineId === 'cg_db')!;
    expect(array.snapshot).toMatchObject({ requested: 'app', achieved: 'app' });
    expect(array.consistencyFrom).toEqual(['db01']);
    expect(point.statement).toMatchObject({ requested: 'app', achieved: 'app', basis: 'shared-freeze' });
  });

  it('waits for a fused platform above to finish its whole snapshot before the array below fences', async () => {
    const log: string[] = [];
    const members: GroupMember[] = [
      { adapter: double('vm', log, { app: true, fused: true }), machineId: 'vm', name: 'db-vm' },
      { adapter: double('cg', log, { fence: true }), machineId: 'cg', name: 'cg', under: ['vm'] },
    ];
    const point = await takeGroupPoint({ members, consistency: 'app' });
    expect(log.indexOf('take vm')).toBeLessThan(log.indexOf('prepare cg crash'));
    expect(point.statement.basis).toBe('independent');
  });

  it('orders a member that comes after another without lifting it: a datastore LUN other VMs share stays crash', async () => {
    const log: string[] = [];
    const members: GroupMember[] = [
      { adapter: double('vm', log, { app: true, fused: true }), machineId: 'vm', name: 'db-vm' },
      { adapter: double('cg', log, { fence: true }), machineId: 'cg', name: 'cg', after: ['vm'] },
    ];
    await expect(takeGroupPoint({ members, consistency: 'app' })).rejects.toThrow(
      /app consistency not available for cg/,
    );
    const point = await takeGroupPoint({ members, consistency: 'app', policy: 'fallback-to-crash' });
    // The VM's whole (fused) snapshot first, then the array fences; the array releases first.
    expect(log).toEqual(['prepare vm crash', 'take vm', 'prepare cg crash', 'take cg', 'release cg', 'release vm']);
    expect(point.members.find((m) => m.member.machineId === 'cg')!.snapshot.achieved).toBe('crash');
  });

  it('never lifts the array above what the freeze held: a freeze that ran out leaves it crash, and says why', async () => {
    const log: string[] = [];
    const members: GroupMember[] = [
      { adapter: double('db01', log, { freezeOnly: true, thawEarly: true }), machineId: 'db01', freezeOnly: true },
      { adapter: double('cg_db', log, { fence: true }), machineId: 'cg_db', under: ['db01'] },
    ];
    await expect(takeGroupPoint({ members, consistency: 'app' })).rejects.toThrow(/app-consistent point not achieved/);
    const point = await takeGroupPoint({ members, consistency: 'app', policy: 'fallback-to-crash' });
    expect(point.statement.achieved).toBe('crash');
    expect(point.members.find((m) => m.member.machineId === 'cg_db')!.snapshot.warnings.join()).toMatch(
      /not every machine above it held/,
    );
  });

  it('rolls back the array snapshot and still thaws the server when the array commit fails', async () => {
    const log: string[] = [];
    const members: GroupMember[] = [
      { adapter: double('db01', log, { freezeOnly: true }), machineId: 'db01', freezeOnly: true },
      { adapter: double('cg_db', log, { fence: true, failTake: true }), machineId: 'cg_db', under: ['db01'] },
    ];
    await expect(takeGroupPoint({ members, consistency: 'app' })).rejects.toThrow(/cg_db commit failed/);
    expect(log.slice(-3)).toEqual(['delete db01-snap', 'release cg_db', 'release db01']);
  });

  it('refuses malformed layers before touching anything', async () => {
    const log: string[] = [];
    const a = double('a', log, { app: true });
    for (const members of [
      [{ adapter: a, machineId: 'x', under: ['nobody'] }],
      [{ adapter: a, machineId: 'x', freezeOnly: true }],
      [
        { adapter: a, machineId: 'x', under: ['y'] },
        { adapter: a, machineId: 'y', under: ['z'] },
        { adapter: a, machineId: 'z' },
      ],
    ] as GroupMember[][]) {
      await expect(takeGroupPoint({ members, consistency: 'crash' })).rejects.toSatisfy(
        (e: unknown) => DrkitError.isInstance(e) && e.code === 'bad-input',
      );
    }
    expect(log).toEqual([]);
  });
});
