import type { Adapter, ProgressListener } from '@drkit/spec';
import { UnsupportedError } from '@drkit/spec';
import { takeGroupPoint, type GroupPointRequest } from '../group/group-coordinator.js';
import type { GroupMember, GroupPoint } from '../group/group-point.js';
import type { PointDisk, PointManifest, PointMember } from '../store/point-manifest.js';
import { sharedHashPool } from '../store/hash-pool.js';
import { diskKey } from '../store/store-layout.js';
import type { TargetStore } from '../store/target-store.js';
import { anchorChanges, releaseAnchors, withAnchoredToken } from './change-anchors.js';
import { replicateDisk } from './disk-replicator.js';
import { RateLimiter } from './rate-limiter.js';

export interface ReplicateGroupRequest extends GroupPointRequest {
  store: TargetStore;
  /** Compare checksums over whole disks even where change tracking is available. */
  resync?: boolean;
  /** Disks replicated at once. Default 2. */
  concurrency?: number;
  /** Source read limit across the run, bytes per second. */
  maxBytesPerSecond?: number;
  /** Keep the source snapshots after the run (default: delete them). */
  keepSnapshots?: boolean;
}

export interface ReplicationResult {
  point: PointManifest;
  group: GroupPoint;
  /** True when the run continued one a crash or a dropped connection interrupted. */
  resumed: boolean;
  /**
   * This run's snapshots the platform refused to delete: they stay there, tagged, until a
   * cleanup by tag removes them. Each is also reported as a warning as it happens.
   */
  leftovers: LeftoverSnapshot[];
}

export interface LeftoverSnapshot {
  machineId: string;
  snapshotId: string;
  tag: string;
  reason: string;
}

/**
 * One run = one new recovery point: take a group point, replicate every member's disks
 * into the store (initial, delta or resync per disk), commit the point. A run that fails
 * after writing leaves its journal in the store: the next run over the same disks resumes
 * it, and anything else rolls it back — a listed point always restores.
 */
export async function replicateGroup(request: ReplicateGroupRequest): Promise<ReplicationResult> {
  for (const m of request.members) {
    if (!m.adapter.capabilities.replication.diskRead) {
      throw new UnsupportedError(
        'replication.diskRead',
        `${m.adapter.kind}: disk replication is not available for ${m.name ?? m.machineId} (drkit discover's warnings say why)`,
      );
    }
  }
  // The hashing threads boot (~60 ms, measured) while the point is taken and the store
  // run begins, instead of when the first chunk is read.
  sharedHashPool();
  const group = await takeGroupPoint({ ...request, ...(!request.keepSnapshots && { lifetime: 'run' as const }) });
  let result: ReplicationResult | undefined;
  try {
    const keyOf = (member: GroupMember, diskId: string) => replicaKey(member.adapter, member.machineId, diskId);
    const jobs = group.members.flatMap(({ member, snapshot }) =>
      snapshot.disks.map((d) => ({ member, snapshot, disk: d, key: keyOf(member, d.diskId) })),
    );
    const run = await request.store.beginRun({ diskKeys: jobs.map((j) => j.key), repair: request.resync === true });
    const limiter = new RateLimiter(request.maxBytesPerSecond);
    const results = new Map<string, PointDisk>();
    const queue = [...jobs];
    // The first failure stops the other disks' copies: files are closed only once all stopped.
    const stop = new AbortController();
    const signal = request.signal ? AbortSignal.any([request.signal, stop.signal]) : stop.signal;
    const worker = async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const source = await job.member.adapter.replication.openDisk(
          job.snapshot.id,
          job.member.machineId,
          job.disk.diskId,
          { signal },
        );
        try {
          request.onProgress?.({
            kind: 'phase',
            phase: 'replicate',
            detail: `${job.member.name ?? job.member.machineId}/${job.disk.name}`,
          });
          const disk = {
            key: job.key,
            diskId: job.disk.diskId,
            name: job.disk.name,
            source,
            changeToken: job.snapshot.changeTokens[job.disk.diskId],
            forceResync: request.resync,
          };
          results.set(job.key, await replicateDisk(run, disk, { signal, onProgress: request.onProgress, limiter }));
        } finally {
          await source.close();
        }
      }
    };
    const lanes = Array.from({ length: Math.min(request.concurrency ?? 2, jobs.length) }, () =>
      worker().catch((error: unknown) => {
        stop.abort(error);
        throw error;
      }),
    );
    const settled = await Promise.allSettled(lanes);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      // A failed copy keeps its journal for the next run to resume; only its files are closed.
      await run.detach?.();
      throw failed.reason;
    }
    // Kept snapshots stay snapshots: nothing is anchored in their place.
    const anchored = request.keepSnapshots ? new Map() : await anchorChanges(group.members, { signal: request.signal });
    const members: PointMember[] = group.members.map(({ member, snapshot }) => ({
      machineId: member.machineId,
      name: member.name ?? member.machineId,
      adapter: member.adapter.kind,
      snapshotId: snapshot.id,
      requested: snapshot.requested,
      achieved: snapshot.achieved,
      warnings: [...snapshot.warnings, ...(anchored.get(member.machineId)?.warnings ?? [])],
      disks: snapshot.disks.map((d) =>
        withAnchoredToken(results.get(keyOf(member, d.diskId))!, anchored.get(member.machineId)),
      ),
      ...(member.description && { description: member.description }),
    }));
    // Tokens only one side holds: after a commit the previous point's go, after a failed one this run's.
    const held = (m: PointMember, pick: (d: PointDisk) => string | undefined) => m.disks.flatMap((d) => pick(d) ?? []);
    const only = (a: (d: PointDisk) => string | undefined, b: (d: PointDisk) => string | undefined) =>
      new Map(members.map((m) => [m.machineId, held(m, a).filter((t) => !held(m, b).includes(t))]));
    const previousToken = (d: PointDisk) => run.previous(d.key)?.changeToken;
    const newToken = (d: PointDisk) => d.changeToken;
    let point: PointManifest;
    try {
      point = await run.commit({ consistency: group.statement, members, warnings: group.warnings });
    } catch (error) {
      if (anchored.size > 0)
        await releaseAnchors(group.members, only(newToken, previousToken), { onProgress: request.onProgress });
      throw error;
    }
    if (anchored.size > 0)
      await releaseAnchors(group.members, only(previousToken, newToken), { onProgress: request.onProgress });
    result = { point, group, resumed: run.resumed, leftovers: [] };
    return result;
  } finally {
    // The same object is what the run returns: its leftovers are filled in before it leaves.
    if (!request.keepSnapshots) result?.leftovers.push(...(await deleteSnapshots(group, request.onProgress)));
  }
}

/** Deletes a run's snapshots; one the platform refuses is reported (a warning, a leftover), never swallowed. */
async function deleteSnapshots(group: GroupPoint, onProgress?: ProgressListener): Promise<LeftoverSnapshot[]> {
  const leftovers: LeftoverSnapshot[] = [];
  await Promise.all(
    group.members.map(async ({ member, snapshot }) => {
      try {
        await member.adapter.snapshots.delete(snapshot);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        leftovers.push({ machineId: member.machineId, snapshotId: snapshot.id, tag: snapshot.tag, reason });
        onProgress?.({
          kind: 'warning',
          message: `${member.name ?? member.machineId}: snapshot ${snapshot.id} (tag ${snapshot.tag}) could not be deleted and is left on the platform: ${reason}`,
        });
      }
    }),
  );
  return leftovers;
}

/** Where a member's machine lives: its disks' replicas are keyed by it, so two sites never share one. */
function siteOf(member: GroupMember): string {
  const site = member.adapter.site;
  return `${site.adapter}:${site.instanceId ?? site.endpoint}`;
}

/** The store key of a machine's disk as replicateGroup makes it: by site, machine and disk. */
export function replicaKey(adapter: Adapter, machineId: string, diskId: string): string {
  return diskKey(machineId, diskId, siteOf({ adapter, machineId }));
}
