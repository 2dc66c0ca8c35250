import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { processAlive, rpoStatus } from '@drkit/core';
import { foldJournal } from './group-history.js';
import type { ProtectionConfig } from './protection-config.js';
import type { GroupState } from './protection-service.js';
import { readJournal, type RunFinished, type RunRecord } from './run-journal.js';

export interface ServiceStatus {
  /** Whether a service is protecting these groups now (its `pid@host`), read from `service.json`. */
  service: { running: boolean; by?: string; at?: string };
  groups: GroupState[];
}

/**
 * Status for `drkit status`: the running service's own view when there is one (next runs
 * included), else what the journal says — with the RPO always computed at this moment.
 */
export async function readServiceStatus(config: ProtectionConfig, now = Date.now()): Promise<ServiceStatus> {
  const history = foldJournal(await readJournal(config.stateDir));
  const snapshot = await readFile(join(config.stateDir, 'service.json'), 'utf8').then(
    (t) => JSON.parse(t) as { by: string; pid: number; running: boolean; at: string; groups: GroupState[] },
    () => undefined,
  );
  const live =
    snapshot?.running === true && snapshot.by.endsWith(`@${hostname()}`) && processAlive(snapshot.pid)
      ? snapshot
      : undefined;
  const groups = config.groups.map((group): GroupState => {
    const h = history.get(group.name);
    const seen = live?.groups.find((g) => g.name === group.name);
    const rpo = rpoStatus(group.policy, h?.lastPoint?.at, now);
    const health: GroupState['health'] =
      seen?.health ??
      (h?.attention
        ? 'needs-attention'
        : (h?.failures ?? 0) > 0
          ? 'retrying'
          : rpo.breached
            ? 'rpo-breached'
            : 'protected');
    return {
      name: group.name,
      // The service's word on health stands, but an RPO that passed its threshold since shows.
      health: health === 'protected' && rpo.breached ? 'rpo-breached' : health,
      ...(seen?.next && { next: seen.next }),
      ...(h?.lastPoint && {
        lastPoint: { id: h.lastPoint.id, at: new Date(h.lastPoint.at).toISOString(), achieved: h.lastPoint.achieved },
      }),
      ...(Number.isFinite(rpo.ageMs) && { rpoSeconds: Math.round(rpo.ageMs / 1000) }),
      rpoThresholdSeconds: group.policy.rpoThresholdMs / 1000,
      ...(h?.attention && { attention: h.attention.reason }),
      failures: h?.failures ?? 0,
    };
  });
  return {
    service: live ? { running: true, by: live.by, at: live.at } : { running: false },
    groups,
  };
}

/** One run as `drkit jobs` lists it. */
export interface JobEntry {
  runId: string;
  group: string;
  requested: RunRecord['consistency'];
  state: 'running' | 'ok' | 'failed' | 'interrupted' | 'stopped';
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  pointId?: string;
  achieved?: RunFinished['achieved'];
  bytesRead?: number;
  bytesWritten?: number;
  resync: boolean;
  /** The store resumed an interrupted run (a crash, a dead worker). */
  resumed?: boolean;
  error?: { code: string; message: string };
  by: string;
  /** The queue worker that ran it, with BullMQ's attempt number (scale-out only). */
  worker?: { by: string; attempt: number };
}

/** Every run of the journal, oldest first; a run the journal saw start but never end was interrupted (or still runs). */
export async function listJobs(stateDir: string, options: { group?: string } = {}): Promise<JobEntry[]> {
  const records = await readJournal(stateDir);
  const jobs = new Map<string, JobEntry>();
  let open: string[] = [];
  for (const r of records) {
    if (r.type === 'service-started') {
      for (const id of open) jobs.get(id)!.state = 'interrupted';
      open = [];
    } else if (r.type === 'run-started') {
      if (options.group && r.group !== options.group) continue;
      jobs.set(r.runId, {
        runId: r.runId,
        group: r.group,
        requested: r.consistency,
        state: 'running',
        startedAt: new Date(r.at).toISOString(),
        resync: r.resync,
        by: r.by,
      });
      open.push(r.runId);
    } else if (r.type === 'run-finished') {
      const job = jobs.get(r.runId);
      if (!job) continue;
      open = open.filter((id) => id !== r.runId);
      Object.assign(job, {
        state: r.ok ? 'ok' : r.stoppedByService ? 'stopped' : 'failed',
        finishedAt: new Date(r.at).toISOString(),
        durationMs: r.durationMs,
        ...(r.pointId && { pointId: r.pointId }),
        ...(r.achieved && { achieved: r.achieved }),
        ...(r.bytesRead !== undefined && { bytesRead: r.bytesRead }),
        ...(r.bytesWritten !== undefined && { bytesWritten: r.bytesWritten }),
        ...(r.resumed && { resumed: true }),
        ...(r.error && { error: r.error }),
        ...(r.worker && { worker: { by: r.worker.by, attempt: r.worker.attempt } }),
      });
    }
  }
  return [...jobs.values()];
}
