import type { RecoveredState } from '@drkit/spec';

const MARK = 'drkit-recovery:';

/**
 * The mark a recovered machine carries where its platform keeps free text (a vSphere
 * annotation, Hyper-V's Notes): `drkit-recovery:<tag>`, then `point=<id>` and
 * `state=building|ready|committed`, one per line. A re-run and a cleanup find machines by it,
 * and nothing without it is ever changed.
 */
export function recoveryMark(tag: string, pointId: string | undefined, state: RecoveredState): string {
  return [`${MARK}${tag}`, ...(pointId ? [`point=${pointId}`] : []), `state=${state}`].join('\n');
}

/** The first line a tag's machines start with. */
export function recoveryMarkLine(tag: string): string {
  return `${MARK}${tag}`;
}

export function parseRecoveryMark(
  text: string | undefined,
): { tag: string; pointId?: string; state: RecoveredState } | undefined {
  const [first, ...rest] = (text ?? '').split(/\r?\n/);
  if (!first?.startsWith(MARK)) return undefined;
  const field = (k: string) => rest.find((l) => l.startsWith(`${k}=`))?.slice(k.length + 1);
  const state = field('state');
  return {
    tag: first.slice(MARK.length),
    ...(field('point') && { pointId: field('point') }),
    state: state === 'ready' || state === 'committed' ? state : 'building',
  };
}

/** The same mark, moved on to `state` (commit). */
export function withRecoveryState(text: string, state: RecoveredState): string {
  return /^state=.*$/m.test(text) ? text.replace(/^state=.*$/m, `state=${state}`) : `${text}\nstate=${state}`;
}
