import type { ReplicationLink } from '../array-driver.js';
import type { PureSession } from './pure-rest.js';

interface Ref {
  name: string;
}
interface Target {
  group: Ref;
  member: Ref;
  allowed?: boolean;
}
interface ArrayConnection {
  name: string;
  status?: string;
  type?: string;
}
interface Transfer {
  name: string;
  source?: Ref;
  created?: number;
  started?: number;
  completed?: number | null;
  progress?: number | null;
}

/**
 * One link per protection group and target array. Pure keeps no relationship object:
 * the state is read from the array connection, the target's `allowed` flag and the
 * newest snapshot transfers of the group.
 */
export async function pureLinks(
  session: PureSession,
  arrayName: string,
  signal?: AbortSignal,
): Promise<ReplicationLink[]> {
  const [targets, connections, transfers] = await Promise.all([
    session.all<Target>('protection-groups/targets', {}, signal),
    session.all<ArrayConnection>('array-connections', {}, signal),
    session.all<Transfer>('protection-group-snapshots/transfer', { destroyed: false }, signal),
  ]);
  return targets.map((t) => {
    const group = t.group.name;
    const connection = connections.find((c) => c.name === t.member.name);
    const mine = transfers.filter((x) => (x.source?.name ?? x.name.split('.')[0]) === group);
    const done = mine.filter((x) => x.completed).sort((a, b) => b.completed! - a.completed!);
    const running = mine.some((x) => !x.completed && x.started);
    const reasons: string[] = [];
    if (!connection) reasons.push(`no array connection to ${t.member.name}`);
    else if (connection.status !== 'connected')
      reasons.push(`array connection to ${t.member.name} is ${connection.status ?? 'in an unknown state'}`);
    if (t.allowed === false) reasons.push(`${t.member.name} has not allowed protection group ${group}`);
    const newest = done[0];
    const rawState =
      reasons.length > 0 ? 'disconnected' : running ? 'transferring' : newest ? 'replicated' : 'no transfer yet';
    return {
      id: `${group}>${t.member.name}`,
      groupId: group,
      source: `${arrayName}:${group}`,
      target: `${t.member.name}:${arrayName}:${group}`,
      state: reasons.length > 0 ? 'paused' : running ? 'transferring' : newest ? 'idle' : 'uninitialized',
      rawState,
      healthy: reasons.length === 0 && !!newest,
      reasons,
      ...(newest && {
        lagSeconds: Math.max(
          0,
          Math.round((Date.now() - (newest.created ?? newest.started ?? newest.completed!)) / 1000),
        ),
      }),
      ...(newest && { lastTransferAt: new Date(newest.completed!).toISOString() }),
    };
  });
}
