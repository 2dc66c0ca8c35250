import { DrkitError, type ChangeSet, type Extent } from '@drkit/core';
import type { MoRef, Vim25Client } from './vim25-client.js';
import { children, num, xmlEscape } from './vim25-xml.js';

export interface ChangedAreasQuery {
  client: Vim25Client;
  /** The VM, looked up only when the areas are really queried. */
  vm: () => Promise<MoRef>;
  /** The snapshot being read: changes are "up to" it. */
  snapshot: MoRef;
  deviceKey: string;
  sizeBytes: number;
  /** The snapshot's own changeId for the disk: the next run's token. */
  currentChangeId: string | undefined;
  signal?: AbortSignal;
}

/** `52 a1 … 6f/42`: the part before the slash names a tracking epoch; a new one means history was lost. */
export function changeEpoch(changeId: string): string {
  return changeId.slice(0, changeId.lastIndexOf('/') >>> 0 || changeId.length);
}

/**
 * Changed-block tracking: the areas changed since `token` (a changeId from an earlier
 * snapshot), from QueryChangedDiskAreas called again and again with a growing startOffset
 * until the disk is covered — one answer covers only part of a large disk. A token from
 * another tracking epoch (CBT was reset: the VM was moved, restored, CBT toggled), a disk
 * without tracking, or a fault on the query make the answer `unknown`: a resync by checksums,
 * never a failure and never a guess.
 */
export async function changedAreas(q: ChangedAreasQuery, token: string | undefined): Promise<ChangeSet> {
  const next = q.currentChangeId;
  if (!token)
    return {
      kind: 'unknown',
      reason: 'no earlier changeId: the first run reads everything',
      ...(next && { nextToken: next }),
    };
  if (!next) return { kind: 'unknown', reason: 'changed-block tracking is not enabled on this disk' };
  if (changeEpoch(next) !== changeEpoch(token))
    return {
      kind: 'unknown',
      reason: `the disk's change tracking was reset (changeId ${token} → ${next})`,
      nextToken: next,
    };
  const extents: Extent[] = [];
  try {
    const vm = await q.vm();
    for (let start = 0; start < q.sizeBytes; ) {
      const params =
        `<snapshot type="VirtualMachineSnapshot">${xmlEscape(q.snapshot.value)}</snapshot><deviceKey>${xmlEscape(q.deviceKey)}</deviceKey>` +
        `<startOffset>${start}</startOffset><changeId>${xmlEscape(token)}</changeId>`;
      const info = (await q.client.invoke('QueryChangedDiskAreas', vm, params, { signal: q.signal })).children[0];
      const covered = num(info, 'length') ?? 0;
      const from = num(info, 'startOffset') ?? start;
      for (const area of children(info, 'changedArea')) {
        const offset = num(area, 'start');
        const length = num(area, 'length');
        if (offset === undefined || length === undefined || offset + length > q.sizeBytes)
          throw new DrkitError('protocol', `QueryChangedDiskAreas gave an area outside the disk (${offset}+${length})`);
        extents.push({ offset, length });
      }
      if (covered <= 0) throw new DrkitError('protocol', `QueryChangedDiskAreas covered nothing from offset ${start}`);
      start = from + covered;
    }
  } catch (error) {
    if (DrkitError.isInstance(error) && (error.code === 'aborted' || error.code === 'session-expired')) throw error;
    return {
      kind: 'unknown',
      reason: `QueryChangedDiskAreas failed (${(error as Error).message}): resync by checksums`,
      nextToken: next,
    };
  }
  return {
    kind: 'extents',
    nextToken: next,
    extents: (async function* () {
      yield* extents;
    })(),
  };
}
