import type { PointDisk } from '../store/point-manifest.js';
import type { GroupPoint } from '../group/group-point.js';
import type { OperationOptions } from '@drkit/spec';

type Members = GroupPoint['members'];

/** Per member: the anchored tokens per disk id and why any are missing; absent when its adapter has no anchors. */
export type Anchored = Map<string, { tokens: Record<string, string>; warnings: string[] }>;

/**
 * Gives each member's platform the chance to keep change tracking alive past its snapshot
 * (Hyper-V reference points), once the data is read and before the point commits. A failure
 * costs the next run a resync, never this point: it is recorded as a warning on the member.
 */
export async function anchorChanges(members: Members, options: OperationOptions): Promise<Anchored> {
  const anchored: Anchored = new Map();
  await Promise.all(
    members.map(async ({ member, snapshot }) => {
      const anchor = member.adapter.replication.anchorChanges;
      if (!anchor) return;
      try {
        const a = await anchor.call(member.adapter.replication, snapshot, options);
        anchored.set(member.machineId, { tokens: a.changeTokens, warnings: a.warnings });
      } catch (error) {
        anchored.set(member.machineId, {
          tokens: {},
          warnings: [
            `change tracking could not be kept past the snapshot (${(error as Error).message}); the next run resyncs by checksums`,
          ],
        });
      }
    }),
  );
  return anchored;
}

/** A replicated disk with the token its anchor gave (or none, when the anchor gave none). */
export function withAnchoredToken(
  disk: PointDisk,
  anchored: { tokens: Record<string, string> } | undefined,
): PointDisk {
  if (!anchored) return disk;
  const { changeToken: _, ...rest } = disk;
  const token = anchored.tokens[disk.diskId];
  return token === undefined ? rest : { ...rest, changeToken: token };
}

/**
 * Releases anchors no point needs: after a commit the previous point's (only the newest
 * point's tokens are ever asked from), after a failed commit this run's own. Best effort:
 * a failure leaves an anchor behind on the platform, said in a warning.
 */
export async function releaseAnchors(
  members: Members,
  tokens: Map<string, string[]>,
  options: OperationOptions,
): Promise<void> {
  await Promise.all(
    members.map(async ({ member }) => {
      const release = member.adapter.replication.releaseChanges;
      const t = tokens.get(member.machineId) ?? [];
      if (!release || t.length === 0) return;
      try {
        await release.call(member.adapter.replication, member.machineId, t, options);
      } catch (error) {
        options.onProgress?.({
          kind: 'warning',
          message: `${member.name ?? member.machineId}: an old change-tracking anchor could not be released (${(error as Error).message})`,
        });
      }
    }),
  );
}
