import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { DrkitError, UnsupportedError, abortError } from '@drkit/spec';
import type { Consistency } from '@drkit/spec';
import type { OperationOptions } from '@drkit/spec';
import type { PreparedSnapshot } from '@drkit/spec';
import type { AppFailurePolicy, GroupMember, GroupPoint, GroupStatement, MemberPoint } from './group-point.js';
import { aboveOf, appCapable, askedOf, liftUnderMembers, memberLayers } from './member-layers.js';

export interface GroupPointRequest extends OperationOptions {
  members: GroupMember[];
  consistency: Consistency;
  /** For app requests: fail the point, or take a crash-consistent one and say why. Default `require`. */
  policy?: AppFailurePolicy;
  /**
   * Longest time any member may stay frozen, ms. VSS holds a freeze ~10 s at most (its
   * writers time out after that); the default stays well under it.
   */
  freezeBudgetMs?: number;
  /** Marks the snapshots so leftovers can be found. Default `drkit-<uuid>`. */
  tag?: string;
  /** 'run': the snapshots are deleted when the caller's run ends (see SnapshotRequest.lifetime). */
  lifetime?: 'run';
}

export const DEFAULT_FREEZE_BUDGET_MS = 6000;

/** A member failure that the `fallback-to-crash` policy may recover from. */
const APP_FAULTS = new Set(['platform', 'invalid-state', 'unsupported', 'timeout']);

/**
 * Takes one recovery point across machines that may sit behind different adapters:
 * prepare (freeze) every member in parallel → take every snapshot in parallel → release
 * (thaw) every member, always — after failure and abort too. If any member fails, the
 * snapshots already taken are deleted: a group point exists whole or not at all.
 */
export async function takeGroupPoint(request: GroupPointRequest): Promise<GroupPoint> {
  checkGroupRequest(request);
  const policy = request.policy ?? 'require';
  const tag = request.tag ?? `drkit-${randomUUID()}`;
  memberLayers(request.members); // refuses a malformed group before anything is touched
  if (request.consistency === 'crash') return attempt(request, 'crash', tag);

  const unable = request.members.filter((m) => !appCapable(m, request.members));
  if (unable.length > 0) {
    const reason = `app consistency not available for ${unable.map((m) => m.name ?? m.machineId).join(', ')}`;
    if (policy === 'require') throw new UnsupportedError('snapshot.app', `${reason}; the group policy requires it`);
    return withFallback(await attempt(request, 'crash', tag), reason);
  }
  try {
    const point = await attempt(request, 'app', tag);
    const short = point.members.filter((m) => m.snapshot.achieved !== 'app');
    if (short.length === 0) return point;
    // A platform fell back silently (and the adapter caught it): the point is weaker than asked.
    const reason = short
      .map(
        (m) =>
          `${m.member.name ?? m.member.machineId}: ${m.snapshot.warnings.join('; ') || 'app consistency not achieved'}`,
      )
      .join('; ');
    if (policy === 'require') {
      await rollback(point.members, request);
      throw new DrkitError('platform', `app-consistent point not achieved (${reason}); the group policy requires it`);
    }
    point.statement.reason = reason;
    return point;
  } catch (error) {
    if (policy === 'require' || request.signal?.aborted || !DrkitError.isInstance(error) || !APP_FAULTS.has(error.code))
      throw error;
    return withFallback(await attempt(request, 'crash', tag), `app-consistent attempt failed: ${error.message}`);
  }
}

function withFallback(point: GroupPoint, reason: string): GroupPoint {
  point.statement.requested = 'app';
  point.statement.reason = reason;
  point.warnings.push(`fell back to a crash-consistent point: ${reason}`);
  for (const m of point.members) m.snapshot.requested = 'app';
  return point;
}

async function attempt(request: GroupPointRequest, consistency: Consistency, tag: string): Promise<GroupPoint> {
  const budget = request.freezeBudgetMs ?? DEFAULT_FREEZE_BUDGET_MS;
  const controller = new AbortController();
  const onAbort = () => controller.abort(request.signal?.reason);
  request.signal?.addEventListener('abort', onAbort, { once: true });
  const signal = controller.signal;
  // Every member's calls listen on it: a 50-VM group is not a leak.
  setMaxListeners(0, signal);
  const prepared: PreparedSnapshot[] = [];
  const taken: MemberPoint[] = [];
  const failures: string[] = [];
  let firstError: unknown;
  const fail = (member: GroupMember, phase: string, error: unknown) => {
    failures.push(`${member.name ?? member.machineId} (${phase}): ${(error as Error).message}`);
    firstError ??= error;
  };
  let frozenMs = 0;
  let window = { start: Infinity, end: 0 };
  let budgetTimer: NodeJS.Timeout | undefined;
  try {
    const freezeDeadline = Date.now() + budget;
    const layers = memberLayers(request.members);
    const prepareAll = (members: GroupMember[]) =>
      Promise.all(
        members.map(async (member) => {
          try {
            const p = await member.adapter.snapshots.prepare({
              machineId: member.machineId,
              consistency: askedOf(member, consistency),
              tag,
              freezeDeadline,
              signal,
              ...(member.freezeOnly && { freezeOnly: true }),
              ...(request.lifetime && { lifetime: request.lifetime }),
            });
            prepared.push(p);
          } catch (error) {
            fail(member, 'prepare', error);
          }
        }),
      );
    const takeAll = (which: PreparedSnapshot[]) =>
      Promise.all(
        which.map(async (p) => {
          const member = memberOf(request, p);
          const started = Date.now();
          try {
            const snapshot = await member.adapter.snapshots.take(p, { signal });
            const confirmed = Math.min(Date.now(), Math.max(started, snapshot.confirmedAt ?? Date.now()));
            window = { start: Math.min(window.start, started), end: Math.max(window.end, confirmed) };
            taken.push({ member, snapshot });
          } catch (error) {
            fail(member, 'take', signal.aborted ? abortError(signal) : error);
          }
        }),
      );
    request.onProgress?.({
      kind: 'phase',
      phase: 'prepare',
      detail: `${request.members.length} members, ${consistency}`,
    });
    await prepareAll(layers.first);
    if (firstError) throw firstError;
    if (layers.under.length > 0) {
      // A fused platform's freeze is its take: those above an array group go first, whole.
      await takeAll(
        prepared.filter(
          (p) => layers.freezers.has(p.machineId) && memberOf(request, p).adapter.capabilities.snapshot.fusedPhases,
        ),
      );
      if (firstError) throw firstError;
      await prepareAll(layers.under);
      if (firstError) throw firstError;
    }
    const frozen = prepared.filter((p) => p.frozenAt !== undefined);
    // The budget runs from the first freeze: past it, takes are aborted and the point fails.
    if (frozen.length > 0) {
      const first = Math.min(...frozen.map((p) => p.frozenAt!));
      budgetTimer = setTimeout(
        () => controller.abort(new DrkitError('timeout', `freeze budget of ${budget} ms exceeded`)),
        Math.max(0, first + budget - Date.now()),
      );
    }
    request.onProgress?.({ kind: 'phase', phase: 'take' });
    await takeAll(prepared.filter((p) => !taken.some((t) => t.member.machineId === p.machineId)));
    if (firstError) throw firstError;
    if (signal.aborted) throw abortError(signal);
    // Report members in the order they were asked for, not the order their takes finished.
    taken.sort((a, b) => request.members.indexOf(a.member) - request.members.indexOf(b.member));
  } catch (error) {
    await rollback(taken, request);
    const summary = failures.length > 0 ? failures.join('; ') : (error as Error).message;
    throw DrkitError.isInstance(error)
      ? new DrkitError(error.code, `group point not taken: ${summary}`, {
          cause: error,
          fault: error.fault,
          retryable: error.retryable,
        })
      : new DrkitError('platform', `group point not taken: ${summary}`, { cause: error });
  } finally {
    clearTimeout(budgetTimer);
    request.signal?.removeEventListener('abort', onAbort);
    frozenMs = await releaseAll(prepared, request);
  }
  liftUnderMembers(taken, consistency);
  if (frozenMs > budget) {
    await rollback(taken, request);
    throw new DrkitError(
      'timeout',
      `group point not taken: a member stayed frozen ${frozenMs} ms, over the ${budget} ms budget`,
    );
  }
  return {
    tag,
    members: taken,
    statement: statementOf(request, consistency, taken, prepared, window, frozenMs),
    warnings: taken.flatMap((m) => m.snapshot.warnings),
  };
}

/**
 * Thaws every prepared member, whatever happened, and returns the longest freeze. Members
 * under others are released first (an array ends its fence), then the rest in parallel.
 */
async function releaseAll(prepared: PreparedSnapshot[], request: GroupPointRequest): Promise<number> {
  request.onProgress?.({ kind: 'phase', phase: 'release' });
  const release = async (p: PreparedSnapshot) => {
    try {
      await memberOf(request, p).adapter.snapshots.release(p);
    } catch (error) {
      request.onProgress?.({
        kind: 'warning',
        message: `release of ${p.machineId} failed: ${(error as Error).message}`,
      });
    }
    return p.frozenAt === undefined ? 0 : Date.now() - p.frozenAt;
  };
  const isUnder = (p: PreparedSnapshot) => aboveOf(memberOf(request, p)).length > 0;
  const lower = await Promise.all(prepared.filter(isUnder).map(release));
  const upper = await Promise.all(prepared.filter((p) => !isUnder(p)).map(release));
  return Math.max(0, ...lower, ...upper);
}

function memberOf(request: GroupPointRequest, p: PreparedSnapshot): GroupMember {
  return request.members.find((m) => m.machineId === p.machineId)!;
}

async function rollback(taken: MemberPoint[], request: GroupPointRequest): Promise<void> {
  await Promise.all(
    taken.map(async ({ member, snapshot }) => {
      try {
        await member.adapter.snapshots.delete(snapshot);
      } catch (error) {
        request.onProgress?.({
          kind: 'warning',
          message: `could not delete snapshot ${snapshot.id} of ${member.machineId}; it carries tag ${snapshot.tag} for cleanup: ${(error as Error).message}`,
        });
      }
    }),
  );
  taken.length = 0;
}

function statementOf(
  request: GroupPointRequest,
  consistency: Consistency,
  taken: MemberPoint[],
  prepared: PreparedSnapshot[],
  window: { start: number; end: number },
  frozenMs: number,
): GroupStatement {
  const achieved: Consistency = taken.every((m) => m.snapshot.achieved === 'app') ? 'app' : 'crash';
  // A shared barrier needs every member frozen before the first take and thawed after the last.
  // A member under others counts as frozen when they all are: their freeze holds its data still.
  const frozen = (p: PreparedSnapshot): boolean =>
    p.frozenAt !== undefined ||
    ((memberOf(request, p).under ?? []).length > 0 &&
      memberOf(request, p).under!.every((id) => prepared.some((q) => q.machineId === id && q.frozenAt !== undefined)));
  const everyoneFrozen = prepared.length === taken.length && prepared.every(frozen);
  const fused = request.members.some((m) => m.adapter.capabilities.snapshot.fusedPhases);
  // A crash point counts too: arrays that fence writes (ONTAP's two-phase start) hold every
  // member still across the takes. Not when a member fell short of what was asked.
  const basis = everyoneFrozen && !fused && achieved === consistency ? 'shared-freeze' : 'independent';
  return {
    requested: consistency,
    achieved,
    basis,
    skewMs: Number.isFinite(window.start) ? window.end - window.start : 0,
    frozenMs,
  };
}

/** Refuses what would otherwise fail late or strangely (a negative budget ends as a timeout). */
export function checkGroupRequest(request: GroupPointRequest): void {
  if (request.members.length === 0) throw new DrkitError('bad-input', 'a consistency group needs at least one member');
  if (request.consistency !== 'crash' && request.consistency !== 'app')
    throw new DrkitError('bad-input', `consistency ${JSON.stringify(request.consistency)}: expected crash or app`);
  if (request.policy !== undefined && request.policy !== 'require' && request.policy !== 'fallback-to-crash') {
    throw new DrkitError(
      'bad-input',
      `policy ${JSON.stringify(request.policy)}: expected require or fallback-to-crash`,
    );
  }
  const budget = request.freezeBudgetMs;
  if (budget !== undefined && (!Number.isInteger(budget) || budget < 1))
    throw new DrkitError(
      'bad-input',
      `freeze budget ${JSON.stringify(budget)}: expected a whole number of milliseconds ≥ 1`,
    );
  // The same machine twice would be snapshotted twice and its disks written twice.
  const seen = new Set<string>();
  for (const m of request.members) {
    const site = m.adapter.site;
    const id = `${site.adapter}\u0000${site.instanceId ?? site.endpoint}\u0000${m.machineId}`;
    if (seen.has(id)) throw new DrkitError('bad-input', `${m.name ?? m.machineId} is in the group twice`);
    seen.add(id);
  }
}
