import { readFile } from 'node:fs/promises';
import { DrkitError } from '@drkit/core';
import {
  jsonLog,
  listJobs,
  readProtectionConfig,
  readServiceStatus,
  requestResume,
  startProtectionService,
  webhookAlerts,
  type GroupState,
  type JobEntry,
  type ProtectionConfig,
} from '@drkit/service';
import type { CommandIo } from './discover-command.js';
import { humanBytes } from './inventory-table.js';
import { registryGroupRunner } from './service-runner.js';

/** The config `status`, `jobs` and `resume` read when none is named. */
const configFile = (file: string | undefined) => file ?? process.env.DRKIT_CONFIG ?? 'drkit.yaml';

export interface QueueFlags {
  queue?: string;
  queuePasswordFile?: string;
}

/** The Redis connection of `--queue`; its password from a file or DRKIT_REDIS_PASSWORD, never the URL. */
async function queueConnection(flags: QueueFlags) {
  const { redisOptions } = await import('@drkit/service/queue');
  const password = flags.queuePasswordFile
    ? (await readFile(flags.queuePasswordFile, 'utf8')).trim()
    : process.env.DRKIT_REDIS_PASSWORD || undefined;
  return redisOptions(flags.queue!, password);
}

/** Resolves on SIGTERM or Ctrl-C (the CLI's abort signal). */
function stopRequested(io: CommandIo, log: ReturnType<typeof jsonLog>): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (why: string) => {
      log('info', 'signal', { signal: why });
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    io.signal.addEventListener('abort', () => stop('SIGINT'), { once: true });
  });
}

/** `drkit serve <config>`: protects every group until SIGTERM or Ctrl-C, then stops within the config's deadline. */
export async function runServe(file: string, flags: { check?: boolean } & QueueFlags, io: CommandIo): Promise<void> {
  const config = await readProtectionConfig(file);
  checkSchemes(config, io);
  if (flags.check) {
    io.out(`${config.file}: ${config.groups.length} groups, state in ${config.stateDir}\n`);
    return;
  }
  const log = jsonLog(io.err);
  const webhook = config.alerts.webhook;
  let secret: string | undefined;
  if (webhook?.secretFile) secret = (await readFile(webhook.secretFile, 'utf8')).trim();
  else if (webhook)
    log('warn', 'webhook-unsigned', { note: 'alerts.webhook has no secretFile: receivers cannot check the sender' });
  // With --queue, runs are BullMQ jobs for `drkit worker`s; without, the same runs happen in this process.
  const queued = flags.queue
    ? await (await import('@drkit/service/queue')).openQueueRunner(await queueConnection(flags), log)
    : undefined;
  const service = await startProtectionService({
    config,
    runner: queued ?? registryGroupRunner(io.registry, (line) => log('warn', 'adapter', { message: line })),
    log,
    ...(webhook && { alerts: webhookAlerts({ url: webhook.url, ...(secret && { secret }), log }) }),
  });
  const server = config.metrics
    ? await service.metrics.listen(config.metrics.host, config.metrics.port, () => ({
        ok: true,
        groups: service.groups().map((g) => ({ name: g.name, health: g.health })),
      }))
    : undefined;
  log('info', 'serving', {
    config: config.file,
    groups: config.groups.map((g) => g.name),
    runs: flags.queue ? `queued on ${flags.queue}` : 'in this process',
    ...(server && { metrics: `http://${config.metrics!.host}:${config.metrics!.port}/metrics` }),
  });
  await stopRequested(io, log);
  await service.stop();
  await queued?.close();
  await new Promise((r) => server?.close(r) ?? r(undefined));
}

/** `drkit worker --queue redis://…`: runs the jobs any `drkit serve --queue` schedules, until SIGTERM. */
export async function runWorker(
  flags: QueueFlags & { concurrency?: number; stallTimeout?: number; stopDeadline?: number },
  io: CommandIo,
): Promise<void> {
  if (!flags.queue) throw new DrkitError('bad-input', 'give --queue redis://host[:port][/db]');
  const log = jsonLog(io.err);
  const { startQueueWorker } = await import('@drkit/service/queue');
  const worker = await startQueueWorker(
    await queueConnection(flags),
    registryGroupRunner(io.registry, (line) => log('warn', 'adapter', { message: line })),
    {
      log,
      ...(flags.concurrency && { concurrency: flags.concurrency }),
      ...(flags.stallTimeout && { stallMs: flags.stallTimeout * 1000 }),
    },
  );
  await stopRequested(io, log);
  await worker.close((flags.stopDeadline ?? 60) * 1000);
  log('info', 'stopped', { by: worker.by });
}

/** Every group's target and endpoints must be ones this drkit knows: said before anything starts. */
function checkSchemes(config: ProtectionConfig, io: CommandIo) {
  for (const g of config.groups) {
    io.registry.target(g.target);
    for (const e of [...g.members, ...g.arrays]) {
      const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(e.endpoint)?.[1]?.toLowerCase();
      if (!scheme || !io.registry.byScheme(scheme))
        throw new DrkitError(
          'bad-input',
          `${config.file}: group ${g.name}: unknown endpoint scheme in ${e.endpoint}: this drkit knows ${io.registry.usage()}`,
        );
    }
  }
}

export async function runStatus(file: string | undefined, flags: { json?: boolean }, io: CommandIo): Promise<void> {
  const config = await readProtectionConfig(configFile(file));
  const status = await readServiceStatus(config);
  if (flags.json) {
    io.out(`${JSON.stringify(status, null, 2)}\n`);
    return;
  }
  const lines = [
    status.service.running ? `service running (${status.service.by})` : 'service not running: no runs are scheduled',
    ...status.groups.map(groupLine),
  ];
  io.out(`${lines.join('\n')}\n`);
}

function groupLine(g: GroupState): string {
  const rpo =
    g.rpoSeconds === undefined
      ? 'no point yet'
      : `RPO ${duration(g.rpoSeconds)} (threshold ${duration(g.rpoThresholdSeconds)})`;
  const last = g.lastPoint ? `last point ${g.lastPoint.id} ${g.lastPoint.achieved} at ${g.lastPoint.at}` : '';
  const next = g.next ? `next ${g.next.consistency} at ${g.next.at}` : '';
  const attention = g.attention ? `needs attention: ${g.attention} (drkit resume ${g.name})` : '';
  return [`  ${g.name}  ${g.health}`, rpo, last, next, attention].filter(Boolean).join('  ·  ');
}

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  return `${(seconds / 3600).toFixed(1)}h`;
}

export async function runJobs(
  file: string | undefined,
  flags: { group?: string; json?: boolean; last?: number },
  io: CommandIo,
): Promise<void> {
  const config = await readProtectionConfig(configFile(file));
  if (flags.group && !config.groups.some((g) => g.name === flags.group))
    throw new DrkitError('bad-input', `--group ${flags.group}: ${config.file} has no such group`);
  const jobs = await listJobs(config.stateDir, { ...(flags.group && { group: flags.group }) });
  const shown = flags.last ? jobs.slice(-flags.last) : jobs;
  if (flags.json) {
    io.out(`${JSON.stringify(shown, null, 2)}\n`);
    return;
  }
  io.out(shown.length === 0 ? 'no runs yet\n' : `${shown.map(jobLine).join('\n')}\n`);
}

function jobLine(j: JobEntry): string {
  const what =
    j.state === 'ok'
      ? `point ${j.pointId} ${j.achieved}, wrote ${humanBytes(j.bytesWritten ?? 0)}`
      : j.error
        ? `${j.error.code}: ${j.error.message}`
        : '';
  const took = j.durationMs !== undefined ? `${(j.durationMs / 1000).toFixed(1)}s` : '';
  return [j.startedAt, j.group, `${j.requested}${j.resync ? ' resync' : ''}`, j.state, took, what]
    .filter(Boolean)
    .join('  ');
}

/** `drkit resume <group>`: the operator fixed what the group waited for; the running service picks it up within a second. */
export async function runResume(file: string | undefined, group: string, io: CommandIo): Promise<void> {
  const config = await readProtectionConfig(configFile(file));
  if (!config.groups.some((g) => g.name === group))
    throw new DrkitError('bad-input', `${config.file} has no group named ${group}`);
  const status = await readServiceStatus(config);
  await requestResume(config.stateDir, group);
  io.err(
    status.service.running
      ? `drkit: ${group}: resume requested; the service runs it now`
      : `drkit: ${group}: resume recorded; it runs when drkit serve starts`,
  );
}
