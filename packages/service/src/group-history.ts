import type { Consistency } from '@drkit/core';
import type { JournalRecord, RunFinished, RunRecord } from './run-journal.js';

/** One group's history folded from the journal: what the service needs to go on after a restart. */
export interface GroupHistory {
  group: string;
  lastPoint?: { id: string; at: number; achieved: Consistency; requested: Consistency };
  /** When the last crash / app slot was served (the scheduler's state). */
  lastCrashAt?: number;
  lastAppAt?: number;
  /** Transient failures since the last point, and when the ladder allows the next try. */
  failures: number;
  retryAt?: number;
  attention?: { reason: string; digest: string; at: number };
  resyncNeeded: boolean;
  /** Runs started and never finished: the service was killed under them. */
  interrupted: RunRecord[];
  /** Tags of failed or interrupted runs whose snapshots were not yet cleaned up. */
  cleanupTags: string[];
  running?: RunRecord;
  runs: number;
  points: number;
  failed: number;
  lastRun?: RunFinished;
}

export function foldJournal(records: JournalRecord[]): Map<string, GroupHistory> {
  const groups = new Map<string, GroupHistory>();
  const started = new Map<string, RunRecord>();
  const of = (group: string) => {
    let g = groups.get(group);
    if (!g) {
      g = { group, failures: 0, resyncNeeded: false, interrupted: [], cleanupTags: [], runs: 0, points: 0, failed: 0 };
      groups.set(group, g);
    }
    return g;
  };
  const needsCleanup = (g: GroupHistory, tag: string) => {
    if (!g.cleanupTags.includes(tag)) g.cleanupTags.push(tag);
  };
  for (const r of records) {
    switch (r.type) {
      case 'service-started':
        // Whatever was running when the last service died was interrupted.
        for (const run of started.values()) {
          const g = of(run.group);
          g.interrupted.push(run);
          g.running = undefined;
          needsCleanup(g, run.tag);
        }
        started.clear();
        break;
      case 'run-started':
        started.set(r.runId, r);
        of(r.group).running = r;
        break;
      case 'run-finished': {
        const g = of(r.group);
        const run = started.get(r.runId);
        started.delete(r.runId);
        g.running = undefined;
        g.runs++;
        g.lastRun = r;
        if (r.ok && r.pointId) {
          g.points++;
          const at = r.pointAt ?? r.at - r.durationMs;
          g.lastPoint = { id: r.pointId, at, achieved: r.achieved ?? 'crash', requested: r.requested };
          if (r.requested === 'app') g.lastAppAt = at;
          else g.lastCrashAt = at;
          g.failures = 0;
          g.retryAt = undefined;
          g.resyncNeeded = false;
        } else if (r.stoppedByService) {
          if (run) needsCleanup(g, run.tag);
        } else {
          g.failed++;
          // An operator's wait comes as its own `attention` record, with the config digest.
          if (!r.attention) g.failures++;
          g.retryAt = r.retryAt;
          if (r.resyncNeeded) g.resyncNeeded = true;
          if (run) needsCleanup(g, run.tag);
        }
        break;
      }
      case 'cleanup': {
        const g = of(r.group);
        if (!r.error && r.failed.length === 0) g.cleanupTags = g.cleanupTags.filter((t) => t !== r.tag);
        else needsCleanup(g, r.tag);
        break;
      }
      case 'attention':
        of(r.group).attention = { reason: r.reason, digest: r.digest, at: r.at };
        break;
      case 'resumed': {
        const g = of(r.group);
        g.attention = undefined;
        g.failures = 0;
        g.retryAt = undefined;
        break;
      }
      default:
        break;
    }
  }
  return groups;
}
