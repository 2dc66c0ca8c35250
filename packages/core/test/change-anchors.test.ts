import { describe, expect, it } from 'vitest';
import {
  createReferenceAdapter,
  openDirStore,
  replicateGroup,
  type Adapter,
  type DiskSource,
  type StoreRun,
  type TargetStore,
} from '../src/index.js';
import { makeSite, randomWrites } from './reference-site-helper.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MiB = 1024 * 1024;

/**
 * The reference adapter, given anchors the way Hyper-V has them: its snapshot's own change
 * tokens are not trusted, only the ones an anchor handed out ("anchor:<token>") and not yet
 * released. What the engine calls, and with what, lands in `calls`.
 */
function anchoringAdapter(site: string, options: { failAnchor?: boolean } = {}) {
  const ref = createReferenceAdapter({ root: site });
  const live = new Set<string>();
  const calls: string[] = [];
  const adapter: Adapter = Object.create(ref, {
    replication: {
      value: {
        async openDisk(snapshotId, machineId, diskId, opts) {
          const source = await ref.replication.openDisk(snapshotId, machineId, diskId, opts);
          const wrapped: DiskSource = Object.create(source);
          wrapped.changedSince = async (token, o) =>
            token && live.has(token)
              ? source.changedSince(token.slice('anchor:'.length), o)
              : { kind: 'unknown', reason: `no live anchor ${token}` };
          return wrapped;
        },
        async anchorChanges(snapshot) {
          calls.push(`anchor ${snapshot.machineId}`);
          if (options.failAnchor) throw new Error('the host refused to convert the snapshot');
          const tokens = Object.fromEntries(
            Object.entries(snapshot.changeTokens).map(([disk, t]) => [disk, `anchor:${t}`]),
          );
          for (const t of Object.values(tokens)) live.add(t);
          return { changeTokens: tokens, warnings: [] };
        },
        async releaseChanges(machineId, tokens) {
          calls.push(`release ${machineId} ${tokens.length}`);
          for (const t of tokens) live.delete(t);
        },
      } satisfies Adapter['replication'],
    },
  });
  return { adapter, calls, live };
}

async function store(): Promise<TargetStore> {
  return openDirStore(join(await mkdtemp(join(tmpdir(), 'drkit-anchor-store-')), 's'));
}

describe('change anchors (platforms whose tracking outlives a snapshot only through something else)', () => {
  it('records the anchored tokens, asks the next delta from them, then releases the previous point’s', async () => {
    const site = await makeSite({ vm: { disks: { os: 4 * MiB, data: 2 * MiB } } });
    const { adapter, calls, live } = anchoringAdapter(site);
    await adapter.connect();
    const s = await store();
    const members = [{ adapter, machineId: 'vm' }];
    const first = await replicateGroup({ members, consistency: 'crash', store: s });
    expect(first.point.members[0]!.disks.map((d) => d.changeToken)).toEqual([
      expect.stringMatching(/^anchor:/),
      expect.stringMatching(/^anchor:/),
    ]);
    expect(calls).toEqual(['anchor vm']); // nothing older to release
    await randomWrites(site, 'vm', 'os', 4 * MiB, 10);
    const second = await replicateGroup({ members, consistency: 'crash', store: s });
    expect(second.point.members[0]!.disks.map((d) => d.mode)).toEqual(['delta', 'delta']);
    // The data disk did not change, so its anchor is the same and stays; the OS disk's old one goes.
    expect(calls).toEqual(['anchor vm', 'anchor vm', 'release vm 1']);
    // Only the newest point's anchors stay: older points restore from journals, not from tracking.
    expect([...live].sort()).toEqual(second.point.members[0]!.disks.map((d) => d.changeToken).sort());
  });

  it('a failed anchor costs the next run a resync, never this point, and says so on the member', async () => {
    const site = await makeSite({ vm: { disks: { os: 2 * MiB } } });
    const { adapter } = anchoringAdapter(site, { failAnchor: true });
    await adapter.connect();
    const s = await store();
    const { point } = await replicateGroup({ members: [{ adapter, machineId: 'vm' }], consistency: 'crash', store: s });
    expect(point.members[0]!.disks[0]!.changeToken).toBeUndefined();
    expect(point.members[0]!.warnings).toEqual([
      expect.stringMatching(/could not be kept past the snapshot \(the host refused.*next run resyncs/),
    ]);
    const next = await replicateGroup({ members: [{ adapter, machineId: 'vm' }], consistency: 'crash', store: s });
    expect(next.point.members[0]!.disks[0]!.mode).toBe('resync');
  });

  it('a commit that fails releases this run’s anchors and keeps the previous point’s', async () => {
    const site = await makeSite({ vm: { disks: { os: 2 * MiB } } });
    const { adapter, calls, live } = anchoringAdapter(site);
    await adapter.connect();
    const s = await store();
    const first = await replicateGroup({ members: [{ adapter, machineId: 'vm' }], consistency: 'crash', store: s });
    await randomWrites(site, 'vm', 'os', 2 * MiB, 5);
    const failing: TargetStore = Object.create(s);
    failing.beginRun = async (opts) => {
      const run = await s.beginRun(opts);
      const failed: StoreRun = {
        id: run.id,
        resumed: run.resumed,
        previous: (key) => run.previous(key),
        openDisk: (key, size) => run.openDisk(key, size),
        commit: () => Promise.reject(new Error('disk full')),
        abort: () => run.abort(),
      };
      return failed;
    };
    await expect(
      replicateGroup({ members: [{ adapter, machineId: 'vm' }], consistency: 'crash', store: failing }),
    ).rejects.toThrow('disk full');
    expect(calls).toEqual(['anchor vm', 'anchor vm', 'release vm 1']);
    expect([...live]).toEqual([first.point.members[0]!.disks[0]!.changeToken]);
  });

  it('kept snapshots are not anchored', async () => {
    const site = await makeSite({ vm: { disks: { os: 2 * MiB } } });
    const { adapter, calls } = anchoringAdapter(site);
    await adapter.connect();
    await replicateGroup({
      members: [{ adapter, machineId: 'vm' }],
      consistency: 'crash',
      store: await store(),
      keepSnapshots: true,
    });
    expect(calls).toEqual([]);
  });
});
