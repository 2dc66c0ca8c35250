import { DrkitError } from '@drkit/spec';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** When points are taken and how long they are kept (Azure Site Recovery's defaults). */
export interface ReplicationPolicy {
  /** Crash-consistent point interval. Default 5 min. */
  crashIntervalMs: number;
  /** App-consistent point interval: 1–12 h and below retention. Default 4 h. */
  appIntervalMs: number;
  /** How long points are kept. Default 24 h, at most 72 h. */
  retentionMs: number;
  /** An event is raised when the newest point is older than this. Default 15 min. */
  rpoThresholdMs: number;
}

export const DEFAULT_POLICY: ReplicationPolicy = {
  crashIntervalMs: 5 * MINUTE,
  appIntervalMs: 4 * HOUR,
  retentionMs: 24 * HOUR,
  rpoThresholdMs: 15 * MINUTE,
};

export function validatePolicy(input: Partial<ReplicationPolicy> = {}): ReplicationPolicy {
  const p = { ...DEFAULT_POLICY, ...input };
  const problems: string[] = [];
  if (!(p.crashIntervalMs >= MINUTE)) problems.push('crash-consistent interval must be at least 1 minute');
  if (!(p.appIntervalMs >= HOUR && p.appIntervalMs <= 12 * HOUR))
    problems.push('app-consistent interval must be 1–12 hours');
  if (!(p.retentionMs > 0 && p.retentionMs <= 72 * HOUR)) problems.push('retention must be at most 72 hours');
  if (!(p.appIntervalMs < p.retentionMs)) problems.push('the app-consistent interval must be shorter than retention');
  if (!(p.rpoThresholdMs > 0)) problems.push('the RPO threshold must be positive');
  if (problems.length > 0) throw new DrkitError('bad-input', `replication policy: ${problems.join('; ')}`);
  return p;
}
