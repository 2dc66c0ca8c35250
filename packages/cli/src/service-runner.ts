import { replicateGroup, UnsupportedError, type PointManifest, type TargetStore } from '@drkit/core';
import type { CleanupOutcome, GroupRunner, RunOutcome, RunRequest } from '@drkit/service';
import type { AdapterRegistry } from './adapter-registry.js';
import { openGroup } from './group-members.js';
import { openAdapter } from './open-adapter.js';

/**
 * The service's runs through the CLI's own code paths: the registry's adapters and targets,
 * `openGroup` (a fresh discovery before every run, so new disks join and a removed machine
 * is an error naming it), `replicateGroup`, then retention by the group's policy.
 */
export function registryGroupRunner(registry: AdapterRegistry, warn: (line: string) => void): GroupRunner {
  return {
    async run(group, request) {
      const target = registry.target(group.target); // an unknown scheme fails before any connection
      const opened = await openGroup(
        undefined,
        [],
        {
          group: {
            members: group.members,
            ...(group.arrays.length > 0 && { arrays: group.arrays }),
            policy: group.appFailure,
            ...(group.freezeBudgetMs && { freezeBudgetMs: group.freezeBudgetMs }),
          },
        },
        warn,
        registry,
      );
      let store: TargetStore | undefined;
      try {
        const warnings: string[] = [];
        if (group.changeTracking) warnings.push(...(await enableChangeTracking(opened, request)));
        store = await target.open(group.target, {
          options: group.targetOptions,
          env: process.env,
          warn,
          create: true,
          signal: request.signal,
        });
        const previous = (await store.listPoints()).at(-1);
        const result = await replicateGroup({
          members: opened.members,
          consistency: request.consistency,
          policy: group.appFailure,
          freezeBudgetMs: group.freezeBudgetMs,
          tag: request.tag,
          store,
          resync: request.resync,
          maxBytesPerSecond: group.maxBytesPerSecond,
          signal: request.signal,
          onProgress: request.onProgress,
        });
        const pruned = await store.prune({ olderThanMs: group.policy.retentionMs });
        const point = result.point;
        const disks = point.members.flatMap((m) => m.disks);
        const takenAt = result.group.members.map((m) => Date.parse(m.snapshot.takenAt)).filter(Number.isFinite);
        return {
          pointId: point.id,
          pointAt: takenAt.length > 0 ? Math.min(...takenAt) : Date.parse(point.createdAt),
          achieved: point.consistency.achieved,
          bytesRead: disks.reduce((n, d) => n + d.bytesRead, 0),
          bytesWritten: disks.reduce((n, d) => n + d.bytesWritten, 0),
          pruned: pruned.removed.length,
          ...(result.resumed && { resumed: true }),
          warnings: [...warnings, ...point.warnings, ...store.warnings],
          leftovers: result.leftovers,
          inventoryChanges: previous ? inventoryChanges(previous, point) : [],
        } satisfies RunOutcome;
      } finally {
        await store?.close();
        await opened.close();
      }
    },

    async watch(endpoint, options) {
      const { adapter } = await openAdapter(endpoint.endpoint, endpoint, warn, registry);
      try {
        await adapter.connect({ signal: options.signal });
        const feed = adapter.native?.inventoryWatch;
        if (!feed)
          throw new UnsupportedError('native.inventoryWatch', `${adapter.kind}: no change feed; each run discovers`);
        for await (const change of feed.watch({ signal: options.signal })) options.onChange(change);
      } finally {
        await adapter.close();
      }
    },

    async cleanup(group, tag, options) {
      const outcome: CleanupOutcome = { removed: 0, failed: [] };
      for (const entry of [...group.members, ...group.arrays]) {
        if ([...group.members, ...group.arrays].find((e) => e.endpoint === entry.endpoint) !== entry) continue;
        const { adapter } = await openAdapter(entry.endpoint, entry, warn, registry);
        try {
          await adapter.connect({ ...(options.signal && { signal: options.signal }) });
          for (const s of await adapter.snapshots.listTagged(tag, {
            ...(options.signal && { signal: options.signal }),
          })) {
            try {
              await adapter.snapshots.delete(s);
              outcome.removed++;
            } catch (error) {
              outcome.failed.push({ machineId: s.machineId, snapshotId: s.id, reason: (error as Error).message });
            }
          }
        } finally {
          await adapter.close();
        }
      }
      return outcome;
    },
  };
}

/** Turns change tracking on where a member's disks lack it and its adapter can; says what it did. */
async function enableChangeTracking(
  opened: Awaited<ReturnType<typeof openGroup>>,
  request: RunRequest,
): Promise<string[]> {
  const notes: string[] = [];
  for (const member of opened.members) {
    const tracking = member.adapter.native?.changeTracking;
    const machine = opened.machines.find((m) => m.id === member.machineId);
    if (!tracking || !machine?.disks.some((d) => d.changeTracking === false)) continue;
    await tracking.enable(member.machineId, { signal: request.signal });
    notes.push(`${machine.name}: change tracking enabled; the next run reads only what changed`);
  }
  return notes;
}

/** Machines and disks that joined or left since the previous point. */
function inventoryChanges(previous: PointManifest, point: PointManifest): string[] {
  const changes: string[] = [];
  const keys = (p: PointManifest) =>
    new Map(p.members.flatMap((m) => m.disks.map((d) => [d.key, `${m.name}/${d.name}`])));
  const before = keys(previous);
  const after = keys(point);
  for (const [key, name] of after)
    if (!before.has(key)) changes.push(`new disk ${name}: its first copy is in this point`);
  for (const [key, name] of before) if (!after.has(key)) changes.push(`disk ${name} is no longer in the group`);
  return changes;
}
