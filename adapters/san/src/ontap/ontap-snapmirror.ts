import type { ReplicationLink, ReplicationState } from '../array-driver.js';
import type { RestClient } from '../rest-client.js';
import { isoDurationSeconds, ontapAll } from './ontap-rest.js';

interface Relationship {
  uuid: string;
  source?: { path?: string; consistency_group_volumes?: unknown[] };
  destination?: { path?: string };
  state?: string;
  healthy?: boolean;
  unhealthy_reason?: Array<{ message?: string }>;
  lag_time?: string;
  transfer?: { state?: string; end_time?: string };
}

const FIELDS =
  'uuid,source.path,destination.path,state,healthy,unhealthy_reason,lag_time,transfer.state,transfer.end_time';

/**
 * SnapMirror relationships this cluster takes part in. ONTAP lists, by default, those it
 * is the destination of; `list_destinations_only=true` lists those it is the source of.
 * A consistency group's relationship has a `/cg/` path; its group is found by that name.
 */
export async function ontapLinks(rest: RestClient, signal?: AbortSignal): Promise<ReplicationLink[]> {
  const [asDestination, asSource, cgs] = await Promise.all([
    ontapAll<Relationship>(rest, '/api/snapmirror/relationships', { fields: FIELDS }, signal),
    ontapAll<Relationship>(
      rest,
      '/api/snapmirror/relationships',
      { fields: FIELDS, list_destinations_only: true },
      signal,
    ),
    ontapAll<{ uuid: string; name: string; svm?: { name?: string } }>(
      rest,
      '/api/application/consistency-groups',
      { fields: 'uuid,name,svm.name' },
      signal,
    ),
  ]);
  const seen = new Set<string>();
  const links: ReplicationLink[] = [];
  for (const r of [...asSource, ...asDestination]) {
    if (seen.has(r.uuid)) continue;
    seen.add(r.uuid);
    const source = r.source?.path ?? '';
    const target = r.destination?.path ?? '';
    const group =
      cgs.find((cg) => `${cg.svm?.name}:/cg/${cg.name}` === source) ??
      cgs.find((cg) => `${cg.svm?.name}:/cg/${cg.name}` === target);
    const lag = isoDurationSeconds(r.lag_time);
    links.push({
      id: r.uuid,
      ...(group && { groupId: group.uuid }),
      source,
      target,
      state: stateOf(r),
      rawState: r.state ?? 'unknown',
      healthy: r.healthy === true,
      reasons: (r.unhealthy_reason ?? []).flatMap((u) => (u.message ? [u.message] : [])),
      ...(lag !== undefined && { lagSeconds: lag }),
      ...(r.transfer?.end_time && { lastTransferAt: r.transfer.end_time }),
    });
  }
  return links;
}

function stateOf(r: Relationship): ReplicationState {
  if (r.transfer?.state === 'running' || r.state === 'synchronizing' || r.state === 'out_of_sync')
    return 'transferring';
  switch (r.state) {
    case 'in_sync':
      return 'in-sync';
    case 'snapmirrored':
      return 'idle';
    case 'uninitialized':
      return 'uninitialized';
    case 'broken_off':
      return 'broken-off';
    case 'paused':
      return 'paused';
    default:
      return 'unknown';
  }
}
