import { stat } from 'node:fs/promises';
import { DEFAULT_POLICY, DrkitError, openDirStore, replicateGroup, takeGroupPoint, type AppFailurePolicy, type Consistency, type DirStore } from '@drkit/core';
import type { CommandIo } from './discover-command.js';
import { openGroup, parseTarget } from './group-members.js';
import type { ConnectionFlags } from './open-adapter.js';
import { describeStatement, formatPoints } from './point-format.js';
import { progressReporter } from './progress-reporter.js';
import { humanBytes } from './inventory-table.js';

export interface GroupFlags extends ConnectionFlags {
  machine?: string[];
  group?: string;
  consistency?: Consistency;
  policy?: AppFailurePolicy;
  freezeBudget?: number;
  json?: boolean;
}

const print = (io: CommandIo, json: boolean | undefined, value: unknown, text: () => string) => io.out(json ? JSON.stringify(value, null, 2) + '\n' : text());

/** `drkit snapshot`: one group point at the source; the snapshots stay, tagged. */
export async function runSnapshot(endpoint: string | undefined, flags: GroupFlags, io: CommandIo): Promise<void> {
  const group = await openGroup(endpoint, flags.machine ?? [], flags, io.err);
  try {
    const point = await takeGroupPoint({
      members: group.members,
      consistency: flags.consistency ?? group.config.consistency ?? 'crash',
      policy: flags.policy ?? group.config.policy,
      freezeBudgetMs: flags.freezeBudget ?? group.config.freezeBudgetMs,
      signal: io.signal,
      onProgress: progressReporter(io.err),
    });
    const result = {
      tag: point.tag,
      statement: point.statement,
      warnings: point.warnings,
      members: point.members.map(({ member, snapshot, consistencyFrom }) => ({ machineId: member.machineId, name: member.name, adapter: member.adapter.kind, snapshot, ...(consistencyFrom && { consistencyFrom }) })),
    };
    print(io, flags.json, result, () =>
      [`group point ${point.tag}: ${describeStatement(point.statement)}`, ...result.members.map((m) => `  ${m.name}  snapshot ${m.snapshot.id}  ${m.snapshot.achieved}${m.consistencyFrom ? ` (through the freeze of ${m.consistencyFrom.join(', ')})` : ''}${m.snapshot.warnings.length ? `  (${m.snapshot.warnings.join('; ')})` : ''}`), ''].join('\n'),
    );
  } finally {
    await group.close();
  }
}

/** `drkit replicate`: one run = one new recovery point in the target. */
export async function runReplicate(endpoint: string | undefined, flags: GroupFlags & { target?: string; resync?: boolean; maxRate?: number }, io: CommandIo): Promise<void> {
  const storePath = parseTarget(flags.target);
  const group = await openGroup(endpoint, flags.machine ?? [], flags, io.err);
  let store: DirStore | undefined;
  try {
    store = await openDirStore(storePath);
    const result = await replicateGroup({
      members: group.members,
      store,
      consistency: flags.consistency ?? group.config.consistency ?? 'crash',
      policy: flags.policy ?? group.config.policy,
      freezeBudgetMs: flags.freezeBudget ?? group.config.freezeBudgetMs,
      resync: flags.resync,
      maxBytesPerSecond: flags.maxRate,
      signal: io.signal,
      onProgress: progressReporter(io.err),
    });
    for (const w of store.warnings) io.err(`drkit: ${w}`);
    const p = result.point;
    const disks = p.members.flatMap((m) => m.disks);
    print(io, flags.json, { ...p, resumed: result.resumed }, () =>
      `recovery point ${p.id}: ${describeStatement(p.consistency)}${result.resumed ? ' (resumed an interrupted run)' : ''}\n` +
      `  ${disks.length} disks, read ${humanBytes(disks.reduce((n, d) => n + d.bytesRead, 0))}, wrote ${humanBytes(disks.reduce((n, d) => n + d.bytesWritten, 0))}\n` +
      formatPoints([p]).split('\n').slice(1).join('\n'),
    );
  } finally {
    await store?.close();
    await group.close();
  }
}

export async function withStore<T>(target: string, fn: (store: DirStore) => Promise<T>, io: CommandIo): Promise<T> {
  const path = target.startsWith('dir:') ? target.slice(4) : target;
  if (!(await stat(`${path}/store.json`).then(() => true, () => false))) throw new DrkitError('bad-input', `${target} is not a drkit store`);
  const store = await openDirStore(path);
  try {
    const result = await fn(store);
    for (const w of store.warnings) io.err(`drkit: ${w}`);
    return result;
  } finally {
    await store.close();
  }
}

export async function runPoints(target: string, flags: { json?: boolean; prune?: boolean; keep?: number; retentionHours?: number }, io: CommandIo): Promise<void> {
  await withStore(target, async (store) => {
    if (flags.prune) {
      // Without --keep or --retention-hours, the default policy's retention (24 h) applies.
      const rule =
        flags.keep !== undefined || flags.retentionHours !== undefined
          ? { keep: flags.keep, olderThanMs: flags.retentionHours !== undefined ? flags.retentionHours * 3_600_000 : undefined }
          : { olderThanMs: DEFAULT_POLICY.retentionMs };
      const result = await store.prune(rule);
      io.err(`drkit: pruned ${result.removed.length} points, freed ${humanBytes(result.freedBytes)}`);
    }
    const points = await store.listPoints();
    print(io, flags.json, points, () => formatPoints(points));
  }, io);
}

export async function runRestore(target: string, pointId: string, flags: { out?: string; json?: boolean }, io: CommandIo): Promise<void> {
  if (!flags.out) throw new DrkitError('bad-input', 'give --out <dir>');
  await withStore(target, async (store) => {
    const result = await store.restore(pointId, flags.out!, { signal: io.signal, onProgress: progressReporter(io.err) });
    print(io, flags.json, result, () => result.files.map((f) => `${f.path}  ${humanBytes(f.sizeBytes)}  verified`).join('\n') + '\n');
  }, io);
}

export async function runVerify(target: string, pointId: string | undefined, flags: { json?: boolean }, io: CommandIo): Promise<void> {
  await withStore(target, async (store) => {
    const results = await store.verify(pointId, { signal: io.signal });
    print(io, flags.json, results, () => results.map((r) => `${r.pointId}  ${r.ok ? 'ok' : 'CORRUPT'}${r.disks.filter((d) => !d.ok).map((d) => `\n  ${d.name}: ${d.actual}`).join('')}`).join('\n') + '\n');
    const bad = results.filter((r) => !r.ok);
    if (bad.length > 0) throw new DrkitError('integrity', `${bad.length} of ${results.length} points failed verification`);
  }, io);
}
