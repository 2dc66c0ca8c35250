import { DrkitError } from '@drkit/spec';
import type { Consistency } from '@drkit/spec';
import type { GroupMember, MemberPoint } from './group-point.js';

/**
 * Members in two layers: the machines that freeze (and everyone else), then the members
 * `under` them — array groups holding their data. The upper layer is prepared first and
 * thawed last, so an array's write fence never catches a server's flush, and the array's
 * snapshot is taken while the servers above it are still frozen.
 */
export interface MemberLayers {
  first: GroupMember[];
  under: GroupMember[];
  /** Members some other member is `under`. */
  freezers: Set<string>;
}

/** Whom a member waits for: those it is `under` and those it comes `after`. */
export const aboveOf = (m: GroupMember): string[] => [...(m.under ?? []), ...(m.after ?? [])];

export function memberLayers(members: GroupMember[]): MemberLayers {
  const ids = new Set(members.map((m) => m.machineId));
  const under = members.filter((m) => aboveOf(m).length > 0);
  const freezers = new Set(under.flatMap(aboveOf));
  for (const m of under) {
    for (const id of aboveOf(m)) {
      if (!ids.has(id))
        throw new DrkitError('bad-input', `${m.name ?? m.machineId} is under ${id}, which is not in the group`);
      if (id === m.machineId) throw new DrkitError('bad-input', `${m.name ?? m.machineId} cannot be under itself`);
    }
    if (freezers.has(m.machineId))
      throw new DrkitError(
        'bad-input',
        `${m.name ?? m.machineId} is both under another member and above one: one layer only`,
      );
  }
  for (const m of members) {
    if (m.freezeOnly && !freezers.has(m.machineId))
      throw new DrkitError(
        'bad-input',
        `${m.name ?? m.machineId} only freezes, but no member snapshots its data (nothing is under it)`,
      );
  }
  return { first: members.filter((m) => aboveOf(m).length === 0), under, freezers };
}

/** Can this member give `app`: on its own, or through the freezes of those it is under. */
export function appCapable(member: GroupMember, members: GroupMember[]): boolean {
  const caps = member.adapter.capabilities.snapshot;
  if (member.freezeOnly) return caps.freezeOnly === true;
  if (caps.consistency.includes('app')) return true;
  if (!member.under?.length) return false;
  return member.under.every((id) => {
    const freezer = members.find((m) => m.machineId === id);
    return !!freezer && appCapable(freezer, members);
  });
}

/** The consistency a member's own adapter is asked for in an attempt at `consistency`. */
export function askedOf(member: GroupMember, consistency: Consistency): Consistency {
  if (
    consistency === 'app' &&
    member.under?.length &&
    !member.adapter.capabilities.snapshot.consistency.includes('app')
  )
    return 'crash';
  return consistency;
}

/**
 * A member under others took its snapshot while they were frozen: it holds what their
 * freeze made consistent — app when every one of them achieved app, never more.
 */
export function liftUnderMembers(taken: MemberPoint[], consistency: Consistency): void {
  for (const point of taken) {
    const ids = point.member.under;
    if (!ids?.length) continue;
    const freezers = ids.map((id) => taken.find((t) => t.member.machineId === id));
    point.consistencyFrom = freezers.map((f, i) => f?.member.name ?? ids[i]!);
    if (consistency !== 'app') continue;
    point.snapshot.requested = 'app';
    if (freezers.every((f) => f?.snapshot.achieved === 'app')) {
      point.snapshot.achieved = 'app';
    } else if (point.snapshot.achieved !== 'app') {
      point.snapshot.warnings.push(
        `not every machine above it held an app-consistent freeze (${point.consistencyFrom.join(', ')}): crash-consistent`,
      );
    }
  }
}
