import {
  checkGroupRequest,
  DEFAULT_POLICY,
  DrkitError,
  IMAGE_FORMATS,
  replicateGroup,
  takeGroupPoint,
  type AppFailurePolicy,
  type Consistency,
  type ImageFormat,
  type TargetStore,
} from '@drkit/core';
import type { CommandIo } from './discover-command.js';
import { openGroup } from './group-members.js';
import type { ConnectionFlags } from './open-adapter.js';
import { describeStatement, formatPoints } from './point-format.js';
import { progressReporter } from './progress-reporter.js';
import { humanBytes } from './inventory-table.js';
import { printable } from './printable.js';

export interface GroupFlags extends ConnectionFlags {
  machine?: string[];
  group?: string;
  consistency?: Consistency;
  policy?: AppFailurePolicy;
  freezeBudget?: number;
  json?: boolean;
}

const print = (io: CommandIo, json: boolean | undefined, value: unknown, text: () => string) =>
  io.out(json ? `${JSON.stringify(value, null, 2)}\n` : text());

/** `drkit snapshot`: one group point at the source; the snapshots stay, tagged. */
export async function runSnapshot(endpoint: string | undefined, flags: GroupFlags, io: CommandIo): Promise<void> {
  const group = await openGroup(endpoint, flags.machine ?? [], flags, io.err, io.registry);
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
      members: point.members.map(({ member, snapshot, consistencyFrom }) => ({
        machineId: member.machineId,
        name: member.name,
        adapter: member.adapter.kind,
        snapshot,
        ...(consistencyFrom && { consistencyFrom }),
      })),
    };
    print(io, flags.json, result, () =>
      [
        `group point ${point.tag}: ${describeStatement(point.statement)}`,
        ...result.members.map(
          (m) =>
            `  ${m.name}  snapshot ${m.snapshot.id}  ${m.snapshot.achieved}${m.consistencyFrom ? ` (through the freeze of ${m.consistencyFrom.join(', ')})` : ''}${m.snapshot.warnings.length ? `  (${m.snapshot.warnings.join('; ')})` : ''}`,
        ),
        '',
      ].join('\n'),
    );
  } finally {
    await group.close();
  }
}

/** `drkit replicate`: one run = one new recovery point in the target. */
export async function runReplicate(
  endpoint: string | undefined,
  flags: GroupFlags & { target?: string; resync?: boolean; maxRate?: number },
  io: CommandIo,
): Promise<void> {
  if (!flags.target) throw new DrkitError('bad-input', `give --target ${io.registry.targetUsage()}`);
  const target = io.registry.target(flags.target); // an unknown scheme fails before any connection
  const group = await openGroup(endpoint, flags.machine ?? [], flags, io.err, io.registry);
  let store: TargetStore | undefined;
  try {
    const request = {
      members: group.members,
      consistency: flags.consistency ?? group.config.consistency ?? 'crash',
      policy: flags.policy ?? group.config.policy,
      freezeBudgetMs: flags.freezeBudget ?? group.config.freezeBudgetMs,
    };
    checkGroupRequest(request); // before the store is made or touched
    store = await target.open(flags.target, {
      options: flags as Record<string, unknown>,
      env: process.env,
      warn: io.err,
      create: true,
      signal: io.signal,
    });
    const result = await replicateGroup({
      ...request,
      store,
      resync: flags.resync,
      maxBytesPerSecond: flags.maxRate,
      signal: io.signal,
      onProgress: progressReporter(io.err),
    });
    for (const w of store.warnings) io.err(`drkit: ${w}`);
    const p = result.point;
    const disks = p.members.flatMap((m) => m.disks);
    print(
      io,
      flags.json,
      { ...p, resumed: result.resumed, ...(result.leftovers.length > 0 && { leftovers: result.leftovers }) },
      () =>
        `recovery point ${p.id}: ${describeStatement(p.consistency)}${result.resumed ? ' (resumed an interrupted run)' : ''}\n` +
        `  ${disks.length} disks, read ${humanBytes(disks.reduce((n, d) => n + d.bytesRead, 0))}, wrote ${humanBytes(disks.reduce((n, d) => n + d.bytesWritten, 0))}\n` +
        formatPoints([p]).split('\n').slice(1).join('\n'),
    );
  } finally {
    await store?.close();
    await group.close();
  }
}

/** Opens an existing store by its location's scheme (`dir:`, `azure://`), runs `fn`, closes it. */
export async function withStore<T>(
  target: string,
  flags: Record<string, unknown>,
  fn: (store: TargetStore) => Promise<T>,
  io: CommandIo,
): Promise<T> {
  const store = await io.registry
    .target(target)
    .open(target, { options: flags, env: process.env, warn: io.err, create: false, signal: io.signal });
  try {
    const result = await fn(store);
    for (const w of store.warnings) io.err(`drkit: ${w}`);
    return result;
  } finally {
    await store.close();
  }
}

export async function runPoints(
  target: string,
  flags: { json?: boolean; prune?: boolean; keep?: number; retentionHours?: number },
  io: CommandIo,
): Promise<void> {
  await withStore(
    target,
    flags,
    async (store) => {
      if (flags.prune) {
        // Without --keep or --retention-hours, the default policy's retention (24 h) applies.
        const rule =
          flags.keep !== undefined || flags.retentionHours !== undefined
            ? {
                keep: flags.keep,
                olderThanMs: flags.retentionHours !== undefined ? flags.retentionHours * 3_600_000 : undefined,
              }
            : { olderThanMs: DEFAULT_POLICY.retentionMs };
        const result = await store.prune(rule);
        io.err(`drkit: pruned ${result.removed.length} points, freed ${humanBytes(result.freedBytes)}`);
      }
      const points = await store.listPoints();
      print(io, flags.json, points, () => formatPoints(points));
      for (const f of (await store.findings?.()) ?? [])
        io.err(`drkit: damaged: ${f.file}: ${f.problem}${f.pointId ? ` (point ${f.pointId})` : ''}; run drkit verify`);
    },
    io,
  );
}

export async function runRestore(
  target: string,
  pointId: string,
  flags: { out?: string; json?: boolean; force?: boolean; format?: string },
  io: CommandIo,
): Promise<void> {
  if (!flags.out) throw new DrkitError('bad-input', 'give --out <dir>');
  const format = (flags.format ?? 'raw') as ImageFormat;
  if (!IMAGE_FORMATS.includes(format))
    throw new DrkitError('bad-input', `--format ${flags.format}: give ${IMAGE_FORMATS.join(', ')}`);
  await withStore(
    target,
    flags,
    async (store) => {
      const result = await store.restore(pointId, flags.out!, {
        signal: io.signal,
        onProgress: progressReporter(io.err),
        force: flags.force === true,
        format,
      });
      print(
        io,
        flags.json,
        result,
        () => `${result.files.map((f) => `${f.path}  ${humanBytes(f.sizeBytes)}  verified`).join('\n')}\n`,
      );
    },
    io,
  );
}

export async function runVerify(
  target: string,
  pointId: string | undefined,
  flags: { json?: boolean },
  io: CommandIo,
): Promise<void> {
  await withStore(
    target,
    flags,
    async (store) => {
      const results = await store.verify(pointId, { signal: io.signal });
      // Damage that is no point's (store.json, a run's intent) is a finding of its own.
      const findings = pointId ? [] : ((await store.findings?.()) ?? []).filter((f) => !f.pointId);
      const line = (r: (typeof results)[number]) =>
        `${r.pointId}  ${r.ok ? 'ok' : 'CORRUPT'}${r.damage ? `\n  ${r.damage}` : ''}${r.disks
          .filter((d) => !d.ok)
          .map((d) => `\n  ${printable(d.name)}: ${d.actual}`)
          .join('')}`;
      print(io, flags.json, results, () => `${results.map(line).join('\n')}\n`);
      for (const f of findings) io.err(`drkit: damaged: ${f.file}: ${f.problem}`);
      const bad = results.filter((r) => !r.ok);
      if (bad.length > 0 || findings.length > 0) {
        throw new DrkitError(
          'integrity',
          `${bad.length} of ${results.length} points failed verification${findings.length ? `, ${findings.length} store files are damaged` : ''}`,
        );
      }
    },
    io,
  );
}

/** `drkit recover`: a point's disks made bootable in the target's own platform (Azure), and what is left to do. */
export async function runRecover(
  target: string,
  pointId: string,
  flags: { json?: boolean },
  io: CommandIo,
): Promise<void> {
  await withStore(
    target,
    flags,
    async (store) => {
      if (!store.stageFailover)
        throw new DrkitError(
          'unsupported',
          `${store.location} has no platform to fail over into; drkit restore writes its images (--format raw|vhd|vhdx|vmdk|qcow2)`,
        );
      const staged = await store.stageFailover(pointId, { signal: io.signal, onProgress: progressReporter(io.err) });
      print(io, flags.json, staged, () =>
        [
          ...staged.disks.map((d) => `${d.location}  ${humanBytes(d.sizeBytes)}  verified`),
          '',
          ...staged.notes.map((n) => `note: ${n}`),
          ...staged.next,
          '',
        ].join('\n'),
      );
    },
    io,
  );
}
