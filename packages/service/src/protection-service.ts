import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { rename, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  DrkitError,
  needsAttention,
  RETRY_LADDER_MS,
  RETRY_THEN_MS,
  retryDelayMs,
  rpoStatus,
  startScheduler,
  type Consistency,
  type Scheduler,
  type SchedulerEvent,
  type TakeOutcome,
  type InventoryChange,
} from '@drkit/core';
import { nextInWindow } from './config-units.js';
import { foldJournal, type GroupHistory } from './group-history.js';
import type { GroupRunner } from './group-runner.js';
import type { EndpointEntry, ProtectionConfig, ProtectionGroup } from './protection-config.js';
import { RunJournal, readJournal } from './run-journal.js';
import { watchResumeRequests } from './resume-requests.js';
import { RunSlots } from './run-slots.js';
import type { ServiceLog } from './service-log.js';
import { ServiceMetrics } from './service-metrics.js';
import type { AlertSink } from './webhook-alerts.js';

export type GroupHealth = 'protected' | 'running' | 'retrying' | 'rpo-breached' | 'needs-attention' | 'resync-waiting';

/** A group as the running service sees it (and writes to `service.json` for `drkit status`). */
export interface GroupState {
  name: string;
  health: GroupHealth;
  next?: { at: string; consistency: Consistency };
  lastPoint?: { id: string; at: string; achieved: Consistency };
  rpoSeconds?: number;
  rpoThresholdSeconds: number;
  attention?: string;
  failures: number;
}

export interface ProtectionService {
  readonly metrics: ServiceMetrics;
  groups(): GroupState[];
  /** An operator fixed what a group waits for: it runs again at once. */
  resume(group: string): Promise<void>;
  /** No new runs; running ones finish within `deadlineMs`, then are stopped (resumably). */
  stop(deadlineMs?: number): Promise<{ interrupted: string[] }>;
}

export interface ProtectionServiceOptions {
  config: ProtectionConfig;
  runner: GroupRunner;
  log: ServiceLog;
  alerts?: AlertSink;
  now?: () => number;
  /** The retry ladder and the wait after it; Site Recovery's (1, 2, 4, 8, 10 min, then 30) by default. */
  retryDelaysMs?: { ladder: readonly number[]; afterLadder: number };
}

interface GroupSlot {
  group: ProtectionGroup;
  history: GroupHistory;
  scheduler?: Scheduler;
  running?: { controller: AbortController; done: Promise<unknown> };
  cleaning?: Promise<void>;
  breached: boolean;
  breachAlerted?: boolean;
  /** Tags whose cleanup is queued or under way. */
  queued: Set<string>;
}

/**
 * Keeps every group of a config within its policy: one scheduler per group (crash and app
 * points, the retry ladder, the operator's wait), runs limited by RunSlots, every run and
 * cleanup journaled before and after, RPO events to the log and the alert sink.
 */
export async function startProtectionService(options: ProtectionServiceOptions): Promise<ProtectionService> {
  const { config, runner, log } = options;
  const now = options.now ?? Date.now;
  const ladder = options.retryDelaysMs ?? { ladder: RETRY_LADDER_MS, afterLadder: RETRY_THEN_MS };
  const by = `${process.pid}@${hostname()}`;
  const records = await readJournal(config.stateDir);
  const journal = await RunJournal.open(config.stateDir);
  const started = { type: 'service-started' as const, at: now(), by, config: config.file };
  // Folded as if this start were already in the journal: runs left open by the last service were interrupted.
  const history = foldJournal([...records, started]);
  await journal.append(started);
  const slots = new RunSlots(config.service.maxRuns, config.service.perEndpoint);
  const stopping = new AbortController();
  // Every group waiting for a slot listens on it (1,000 groups: 1,000 listeners, each removed when its run starts).
  setMaxListeners(0, stopping.signal);
  const groups = new Map<string, GroupSlot>();

  const state = (g: GroupSlot): GroupState => {
    const h = g.history;
    const rpo = rpoStatus(g.group.policy, h.lastPoint?.at, now());
    const next = g.scheduler?.next();
    const attention = g.scheduler?.status();
    const health: GroupHealth =
      attention?.state === 'needs-attention'
        ? 'needs-attention'
        : g.running
          ? 'running'
          : h.resyncNeeded && g.group.resyncWindow
            ? 'resync-waiting'
            : h.failures > 0
              ? 'retrying'
              : rpo.breached
                ? 'rpo-breached'
                : 'protected';
    return {
      name: g.group.name,
      health,
      ...(next && { next: { at: new Date(next.at).toISOString(), consistency: next.consistency } }),
      ...(h.lastPoint && {
        lastPoint: { id: h.lastPoint.id, at: new Date(h.lastPoint.at).toISOString(), achieved: h.lastPoint.achieved },
      }),
      ...(Number.isFinite(rpo.ageMs) && { rpoSeconds: Math.round(rpo.ageMs / 1000) }),
      rpoThresholdSeconds: g.group.policy.rpoThresholdMs / 1000,
      ...(attention?.state === 'needs-attention' && { attention: attention.reason }),
      failures: h.failures,
    };
  };
  const metrics = new ServiceMetrics(() =>
    [...groups.values()].map((g) => {
      const s = state(g);
      return { name: s.name, rpoSeconds: s.rpoSeconds, attention: s.health === 'needs-attention' };
    }),
  );

  // service.json: what `drkit status` shows while the service runs (the journal is the record).
  let snapshotDue: NodeJS.Timeout | undefined;
  let snapshotWrite = Promise.resolve();
  const writeSnapshot = (final = false) => {
    const body = JSON.stringify(
      {
        by,
        pid: process.pid,
        running: !final,
        at: new Date(now()).toISOString(),
        groups: [...groups.values()].map(state),
      },
      null,
      2,
    );
    const file = join(config.stateDir, 'service.json');
    snapshotWrite = snapshotWrite
      .then(() => writeFile(`${file}.tmp`, body))
      .then(() => rename(`${file}.tmp`, file))
      .catch((error: Error) => log('warn', 'status-write-failed', { error: error.message }));
    return snapshotWrite;
  };
  const changed = () => {
    if (snapshotDue || stopping.signal.aborted) return;
    snapshotDue = setTimeout(() => {
      snapshotDue = undefined;
      void writeSnapshot();
    }, 100);
  };

  const cleanup = (g: GroupSlot, tags: string[]) => {
    // A tag already queued (at start, say) is not cleaned twice.
    const fresh = tags.filter((t) => !g.queued.has(t));
    for (const t of fresh) g.queued.add(t);
    const run = async () => {
      for (const tag of fresh) {
        try {
          const result = await runner.cleanup(g.group, tag, { signal: stopping.signal });
          await journal.append({ type: 'cleanup', at: now(), group: g.group.name, tag, ...result });
          g.history.cleanupTags = g.history.cleanupTags.filter((t) => t !== tag || result.failed.length > 0);
          if (result.removed > 0)
            log('info', 'leftovers-removed', { group: g.group.name, tag, removed: result.removed });
          for (const f of result.failed) {
            log('error', 'cleanup-failed', { group: g.group.name, tag, ...f });
            options.alerts?.send({
              event: 'cleanup-failed',
              group: g.group.name,
              at: new Date(now()).toISOString(),
              reason: `snapshot ${f.snapshotId} of ${f.machineId} (tag ${tag}): ${f.reason}`,
            });
          }
        } catch (error) {
          const message = (error as Error).message;
          await journal.append({
            type: 'cleanup',
            at: now(),
            group: g.group.name,
            tag,
            removed: 0,
            failed: [],
            error: message,
          });
          log('error', 'cleanup-failed', { group: g.group.name, tag, error: message });
        } finally {
          g.queued.delete(tag);
        }
      }
    };
    g.cleaning = (g.cleaning ?? Promise.resolve()).then(run);
    return g.cleaning;
  };

  const take = async (g: GroupSlot, consistency: Consistency): Promise<TakeOutcome | undefined> => {
    const keys = [...g.group.members, ...g.group.arrays].map((m) => m.endpoint);
    const release = await slots.acquire(keys, stopping.signal);
    const controller = new AbortController();
    const started = now();
    let finish!: () => void;
    g.running = { controller, done: new Promise<void>((r) => (finish = r)) };
    changed();
    try {
      await g.cleaning;
      if (g.history.cleanupTags.length > 0) await cleanup(g, [...g.history.cleanupTags]);
      const h = g.history;
      if (h.resyncNeeded && g.group.resyncWindow) {
        const at = nextInWindow(g.group.resyncWindow, now());
        if (at > now()) {
          log('info', 'resync-deferred', { group: g.group.name, until: new Date(at).toISOString() });
          return { deferredUntil: at };
        }
      }
      const runId = randomUUID();
      const tag = `drkit-${runId}`;
      const resync = h.resyncNeeded;
      await journal.append({
        type: 'run-started',
        at: started,
        runId,
        group: g.group.name,
        consistency,
        tag,
        resync,
        by,
      });
      log('info', 'run-started', { group: g.group.name, consistency, resync, runId });
      const finished = (at: number) => ({
        type: 'run-finished' as const,
        at,
        runId,
        group: g.group.name,
        durationMs: at - started,
      });
      try {
        const outcome = await runner.run(g.group, { consistency, tag, resync, signal: controller.signal });
        const at = now();
        await journal.append({
          ...finished(at),
          ok: true,
          pointId: outcome.pointId,
          pointAt: outcome.pointAt,
          requested: consistency,
          achieved: outcome.achieved,
          bytesRead: outcome.bytesRead,
          bytesWritten: outcome.bytesWritten,
          pruned: outcome.pruned,
          ...(outcome.resumed && { resumed: true }),
          warnings: outcome.warnings,
          ...(outcome.ranBy && { worker: outcome.ranBy }),
        });
        for (const message of outcome.inventoryChanges) {
          await journal.append({ type: 'inventory', at, group: g.group.name, message });
          log('warn', 'inventory-changed', { group: g.group.name, message });
        }
        h.lastPoint = { id: outcome.pointId, at: outcome.pointAt, achieved: outcome.achieved, requested: consistency };
        h.failures = 0;
        h.retryAt = undefined;
        h.resyncNeeded = false;
        h.points++;
        metrics.points.inc({ group: g.group.name, consistency: outcome.achieved });
        metrics.bytes.inc({ group: g.group.name }, outcome.bytesWritten);
        metrics.durations.observe({ group: g.group.name }, (at - started) / 1000);
        log('info', 'point', {
          group: g.group.name,
          point: outcome.pointId,
          requested: consistency,
          achieved: outcome.achieved,
          bytesWritten: outcome.bytesWritten,
          seconds: (at - started) / 1000,
          ...(outcome.warnings.length > 0 && { warnings: outcome.warnings }),
        });
        if (outcome.leftovers.length > 0) {
          h.cleanupTags.push(tag);
          for (const l of outcome.leftovers) log('error', 'cleanup-failed', { group: g.group.name, ...l });
        }
        return { pointAt: outcome.pointAt };
      } catch (error) {
        const at = now();
        const stoppedByService = stopping.signal.aborted && controller.signal.aborted;
        const code = DrkitError.isInstance(error) ? error.code : 'internal';
        const message = error instanceof Error ? error.message : String(error);
        const attention = stoppedByService ? undefined : needsAttention(error);
        const resyncNeeded = DrkitError.isInstance(error) && error.details?.resyncNeeded === true;
        const failures = stoppedByService || attention ? h.failures : h.failures + 1;
        const retryAt =
          attention || stoppedByService ? undefined : at + retryDelayMs(failures, ladder.ladder, ladder.afterLadder);
        await journal.append({
          ...finished(at),
          ok: false,
          requested: consistency,
          error: { code, message },
          ...(retryAt && { retryAt }),
          ...(attention && { attention }),
          ...(resyncNeeded && { resyncNeeded }),
          ...(stoppedByService && { stoppedByService }),
        });
        metrics.durations.observe({ group: g.group.name }, (at - started) / 1000);
        if (!stoppedByService) metrics.failures.inc({ group: g.group.name, code });
        h.failures = failures;
        h.retryAt = retryAt;
        if (resyncNeeded) h.resyncNeeded = true;
        log(stoppedByService ? 'info' : 'error', stoppedByService ? 'run-stopped' : 'run-failed', {
          group: g.group.name,
          code,
          error: message,
          ...(retryAt && { retryAt: new Date(retryAt).toISOString() }),
          ...(attention && { needsAttention: true }),
        });
        if (attention) {
          await journal.append({
            type: 'attention',
            at,
            group: g.group.name,
            reason: attention,
            digest: g.group.digest,
          });
          options.alerts?.send({
            event: 'needs-attention',
            group: g.group.name,
            at: new Date(at).toISOString(),
            reason: attention,
          });
        }
        // A failed run's snapshots go now (a stopped one keeps them: the store resumes from them).
        if (!stoppedByService) await cleanup(g, [tag]);
        else h.cleanupTags.push(tag);
        throw error;
      }
    } finally {
      g.running = undefined;
      release();
      finish();
      changed();
    }
  };

  const onEvent = (g: GroupSlot) => (event: SchedulerEvent) => {
    if (event.kind !== 'rpo-breached' && event.kind !== 'rpo-restored') return;
    const breached = event.kind === 'rpo-breached';
    g.breached = breached;
    const ageMs = breached ? event.ageMs : now() - (g.history.lastPoint?.at ?? now());
    void journal.append({
      type: 'rpo',
      at: event.at,
      group: g.group.name,
      breached,
      ageMs: Number.isFinite(ageMs) ? ageMs : -1,
    });
    log(breached ? 'warn' : 'info', event.kind, {
      group: g.group.name,
      ...(Number.isFinite(ageMs) && { rpoSeconds: Math.round(ageMs / 1000) }),
      thresholdSeconds: g.group.policy.rpoThresholdMs / 1000,
    });
    // Before a group's first point there is nothing to recover from yet: the log says so, the alert waits
    // (and so does the recovery's: only a breach that was announced is announced over).
    if (breached && !Number.isFinite(ageMs)) return;
    if (!breached && !g.breachAlerted) return;
    g.breachAlerted = breached;
    options.alerts?.send({
      event: event.kind,
      group: g.group.name,
      at: new Date(event.at).toISOString(),
      ...(Number.isFinite(ageMs) && { rpoSeconds: Math.round(ageMs / 1000) }),
      thresholdSeconds: g.group.policy.rpoThresholdMs / 1000,
    });
    changed();
  };

  for (const group of config.groups) {
    const h = history.get(group.name) ?? emptyHistory(group.name);
    const g: GroupSlot = { group, history: h, breached: false, queued: new Set() };
    groups.set(group.name, g);
    for (const run of h.interrupted)
      log('warn', 'run-interrupted', {
        group: group.name,
        runId: run.runId,
        note: 'the store resumes or rolls it back on the next run',
      });
    if (h.attention && h.attention.digest !== group.digest) {
      await journal.append({ type: 'resumed', at: now(), group: group.name, why: 'config-changed' });
      log('info', 'resumed', { group: group.name, why: 'config-changed' });
      h.attention = undefined;
      h.failures = 0;
      h.retryAt = undefined;
    }
    if (h.cleanupTags.length > 0) void cleanup(g, [...h.cleanupTags]);
    g.scheduler = startScheduler({
      policy: group.policy,
      now,
      state: { lastCrashAt: h.lastCrashAt, lastAppAt: h.lastAppAt },
      resumeFrom: { failures: h.failures, retryAt: h.retryAt, attention: h.attention?.reason },
      retryDelaysMs: ladder,
      take: (consistency) => take(g, consistency),
      onEvent: onEvent(g),
    });
  }
  void writeSnapshot();
  const watches = runner.watch ? watchEndpoints() : [];

  /** One change feed per endpoint (not per group: a vCenter serves hundreds of groups), fanned out to its groups' members. */
  function watchEndpoints(): Promise<void>[] {
    const byEndpoint = new Map<string, { entry: EndpointEntry; groups: GroupSlot[] }>();
    for (const g of groups.values())
      for (const m of g.group.members) {
        const e = byEndpoint.get(m.endpoint) ?? { entry: m, groups: [] };
        if (!e.groups.includes(g)) e.groups.push(g);
        byEndpoint.set(m.endpoint, e);
      }
    return [...byEndpoint.values()].map(async ({ entry, groups: watchers }) => {
      const onChange = (change: InventoryChange) => {
        for (const g of watchers) {
          const member = g.group.members.find(
            (m) =>
              m.endpoint === entry.endpoint &&
              (m.machine === change.machineId ||
                m.machine === change.name ||
                (change.change === 'machine-renamed' && m.machine === change.from)),
          );
          if (!member) continue;
          const message = describeChange(change);
          void journal.append({ type: 'inventory', at: now(), group: g.group.name, message });
          log('warn', 'inventory-changed', { group: g.group.name, message, source: 'watch' });
        }
      };
      while (!stopping.signal.aborted) {
        try {
          await runner.watch!(entry, { signal: stopping.signal, onChange });
        } catch (error) {
          if (stopping.signal.aborted) return;
          if (DrkitError.isInstance(error) && error.code === 'unsupported') return; // no feed: the runs' discovery does it
          log('warn', 'watch-failed', {
            endpoint: entry.endpoint,
            error: (error as Error).message,
            retryInSeconds: 60,
          });
          await delay(60_000, stopping.signal);
        }
      }
    });
  }

  let stopped: Promise<{ interrupted: string[] }> | undefined;
  const service: ProtectionService = {
    metrics,
    groups: () => [...groups.values()].map(state),
    async resume(name) {
      const g = groups.get(name);
      if (!g) throw new DrkitError('bad-input', `no group named ${name}`);
      await journal.append({ type: 'resumed', at: now(), group: name, why: 'operator' });
      g.history.attention = undefined;
      g.history.failures = 0;
      g.history.retryAt = undefined;
      log('info', 'resumed', { group: name, why: 'operator' });
      g.scheduler?.resume();
      changed();
    },
    stop(deadlineMs = config.service.stopDeadlineMs) {
      stopped ??= (async () => {
        stopWatching();
        for (const g of groups.values()) g.scheduler?.stop();
        stopping.abort(new DrkitError('aborted', 'the service is stopping'));
        const running = [...groups.values()].filter((g) => g.running);
        log('info', 'stopping', { running: running.map((g) => g.group.name), deadlineSeconds: deadlineMs / 1000 });
        const all = () => Promise.allSettled(running.map((g) => g.running?.done));
        const late = await Promise.race([all().then(() => false), delay(deadlineMs).then(() => true)]);
        const interrupted = running.filter((g) => g.running).map((g) => g.group.name);
        if (late) {
          for (const g of running) g.running?.controller.abort(new DrkitError('aborted', 'the service is stopping'));
          await all();
        }
        await Promise.allSettled([...groups.values()].map((g) => g.cleaning));
        await Promise.allSettled(watches);
        await options.alerts?.drain(5_000);
        clearTimeout(snapshotDue);
        await journal.append({ type: 'service-stopped', at: now(), by, interrupted });
        await writeSnapshot(true);
        await journal.close();
        log('info', 'stopped', { interrupted });
        return { interrupted };
      })();
      return stopped;
    },
  };
  const stopWatching = watchResumeRequests(config.stateDir, (name) => service.resume(name));
  return service;
}

function emptyHistory(group: string): GroupHistory {
  return { group, failures: 0, resyncNeeded: false, interrupted: [], cleanupTags: [], runs: 0, points: 0, failed: 0 };
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((r) => {
    const timer = setTimeout(r, ms).unref();
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      r();
    });
  });
}

/** A watched change as the journal and the log say it: what it means for the group's next point. */
function describeChange(c: InventoryChange): string {
  switch (c.change) {
    case 'disk-added':
      return `${c.name}: disk ${c.disk.name} added (${c.disk.capacityBytes} bytes); the next point copies it whole`;
    case 'disk-removed':
      return `${c.name}: disk ${c.disk.name} removed; the next point no longer has it`;
    case 'machine-removed':
      return `${c.name} was removed from the platform; the group's runs fail until it is back or the config changes`;
    case 'machine-renamed':
      return `${c.from} is now named ${c.name}; a member named by its old name no longer resolves`;
    case 'power':
      return `${c.name} powered ${c.to} (was ${c.from})`;
    case 'machine-added':
      return `${c.name} added`;
  }
}
