import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  choosePoint,
  collectInventory,
  DrkitError,
  replicateGroup,
  UnsupportedError,
  type Adapter,
  type PointManifest,
  type PointMember,
  type TargetStore,
} from '@drkit/core';
import { openGroup } from './group-members.js';
import type { CommandIo } from './discover-command.js';
import type { ConnectionFlags } from './connection-flags.js';
import { openAdapter } from './open-adapter.js';
import { runAction } from './plan-actions.js';
import { withStore } from './point-commands.js';
import { progressReporter } from './progress-reporter.js';
import { readRecoveryPlan, type RecoveryPlan } from './recovery-plan.js';
import { stepClock } from './step-clock.js';

export interface RecoverFlags extends ConnectionFlags {
  plan?: string;
  machine?: string[];
  to?: string;
  networkMap?: string[];
  testNetwork?: string;
  point?: string;
  test?: boolean;
  yes?: boolean;
  json?: boolean;
  datacenter?: string;
  datastore?: string;
  pool?: string;
  planned?: boolean;
  from?: string;
  shutdownTimeout?: number;
}

interface MachineResult {
  source: string;
  name: string;
  group: string;
  machineId?: string;
  state: 'created' | 'found' | 'failed' | 'removed';
  consistency: PointMember['achieved'];
  notes: string[];
  error?: string;
  /** Milliseconds per recovery step (check, create, upload, attach, power-on) and `recover` for the whole. */
  ms: Record<string, number>;
}

/** What one plan's machines are tagged with: a test and a failover never share a tag. */
const planTag = (plan: RecoveryPlan, test: boolean) => `drkit-rec-${plan.name}-${test ? 'test' : 'failover'}`;

/** `--machine … --to …` without a plan file: a plan of one group. */
function adHocPlan(flags: RecoverFlags): RecoveryPlan {
  if (!flags.to) throw new DrkitError('bad-input', 'give --plan <file>, or --machine <name> --to <endpoint>');
  if (!flags.machine?.length) throw new DrkitError('bad-input', 'give --machine <name> (repeat for several)');
  const networkMap: Record<string, string> = {};
  for (const m of flags.networkMap ?? []) {
    const [src, dst] = m.split('=');
    if (!src || !dst)
      throw new DrkitError('bad-input', `--network-map ${m}: expected <source network>=<target network>`);
    networkMap[src] = dst;
  }
  return {
    name: 'adhoc',
    target: { endpoint: flags.to, ...connection(flags) },
    placement: {
      ...(flags.datacenter && { datacenter: flags.datacenter }),
      ...(flags.datastore && { datastore: flags.datastore }),
      ...(flags.pool && { pool: flags.pool }),
    },
    networkMap,
    ...(flags.testNetwork && { testNetwork: flags.testNetwork }),
    groups: [
      {
        name: 'machines',
        machines: flags.machine.map((machine) => ({ machine })),
        pre: [],
        post: [],
        continueOnError: false,
      },
    ],
  };
}

/** Every machine of the plan in the point, with a description and mapped networks — or a bad-input before anything changes. */
function checkPlan(plan: RecoveryPlan, point: PointManifest, test: boolean): Map<string, PointMember> {
  const members = new Map<string, PointMember>();
  const problems: string[] = [];
  for (const group of plan.groups)
    for (const m of group.machines) {
      const member = point.members.find((x) => x.machineId === m.machine || x.name === m.machine);
      if (!member) {
        problems.push(
          `${m.machine} is not in point ${point.id} (it holds ${point.members.map((x) => x.name).join(', ')})`,
        );
        continue;
      }
      if (!member.description) {
        problems.push(
          `point ${point.id} was made before drkit kept machine descriptions: ${m.machine} cannot be rebuilt from it (drkit restore writes its disks)`,
        );
        continue;
      }
      for (const nic of member.description.nics) {
        const network = nic.network ?? '(no network)';
        if (test ? !plan.testNetwork : !plan.networkMap[network])
          problems.push(
            test
              ? 'a test failover needs testNetwork (--test-network)'
              : `${m.machine}: NIC ${nic.name} is on ${network}, which the plan does not map`,
          );
      }
      members.set(m.machine, member);
    }
  if (problems.length > 0) throw new DrkitError('bad-input', [...new Set(problems)].join('; '));
  return members;
}

/**
 * `drkit recover <store> --plan <file>` (or `--machine … --to …`): the plan's groups in order —
 * pre steps, every machine of the group created from the point and powered on, post steps.
 * A re-run finds what a crashed run made by tag and does not make it twice.
 */
export async function runRecoverPlan(
  storeLocation: string,
  pointArg: string | undefined,
  flags: RecoverFlags,
  io: CommandIo,
) {
  const plan = flags.plan ? await readRecoveryPlan(flags.plan) : adHocPlan(flags);
  const test = flags.test === true;
  if (!test && !flags.yes && !process.stdin.isTTY)
    throw new DrkitError(
      'bad-input',
      `a failover creates machines on ${plan.target.endpoint}: give --yes (or --test for a drill)`,
    );
  await withStore(
    storeLocation,
    flags as Record<string, unknown>,
    async (store) => {
      let point = choosePoint(await store.listPoints(), flags.point ?? pointArg ?? 'latest');
      let members = checkPlan(plan, point, test);
      let final: FinalPoint | undefined;
      if (flags.planned) {
        if (test)
          throw new DrkitError('bad-input', '--planned is a failover: it shuts the source down; a drill is --test');
        if (flags.point ?? pointArg)
          throw new DrkitError('bad-input', '--planned makes its own final point: no --point');
        final = await finalPoint(plan, flags, members, store, io);
        point = final.point;
        members = checkPlan(plan, point, false);
      }
      const { adapter } = await openAdapter(plan.target.endpoint, plan.target, io.err, io.registry);
      let scratch: string | undefined;
      try {
        await adapter.connect({ signal: io.signal });
        const recovery = adapter.recovery;
        if (!recovery) throw new UnsupportedError('recovery', `${adapter.kind}: cannot create machines from a point`);
        const tag = planTag(plan, test);
        const existing = new Map((await recovery.listRecovered(tag, { signal: io.signal })).map((m) => [m.name, m]));
        io.err(
          `drkit: recovering from point ${point.id} (${point.consistency.achieved}-consistent, ${point.createdAt})${test ? ', as a test' : ''}`,
        );
        // A store that streams a point's disks (checked as they pass) feeds the uploads directly;
        // any other is restored to local images first.
        const streamed = store.readPointDisk?.bind(store);
        if (!streamed) {
          // Beside a dir: store, on its file system: the restore then clones the replica (xfs,
          // btrfs) instead of writing every byte a second time while the upload reads them.
          const base = storeLocation.startsWith('dir:') ? dirname(resolve(storeLocation.slice(4))) : tmpdir();
          scratch = await mkdtemp(join(base, '.drkit-recover-'));
        }
        const restored = scratch
          ? await store.restore(point.id, scratch, { signal: io.signal, onProgress: progressReporter(io.err) })
          : undefined;
        const results: MachineResult[] = [];
        for (const group of plan.groups) {
          const context = (done: MachineResult[]) => ({
            plan: plan.name,
            group: group.name,
            pointId: point.id,
            test,
            machines: done.map((r) => ({ name: r.name, machineId: r.machineId ?? '', addresses: [] as string[] })),
            yes: flags.yes === true,
            err: io.err,
            signal: io.signal,
          });
          for (const a of group.pre) {
            const note = await runAction(a, context([]));
            if (note) io.err(`drkit: ${group.name}: ${note}`);
          }
          const done = await Promise.all(
            group.machines.map(async (m): Promise<MachineResult> => {
              const member = members.get(m.machine)!;
              const name = `${m.name ?? member.name}${test ? '-test' : ''}`;
              const base = {
                source: member.name,
                name,
                group: group.name,
                consistency: member.achieved,
                notes: [] as string[],
                ms: {},
              };
              const found = existing.get(name);
              const notes: string[] = [];
              if (found?.state === 'committed' && found.pointId !== point.id)
                throw new DrkitError(
                  'invalid-state',
                  `${name} was committed from point ${found.pointId}: its point can no longer change`,
                );
              if (found && found.state !== 'building' && found.pointId === point.id)
                return {
                  ...base,
                  machineId: found.machineId,
                  state: 'found',
                  notes: ['made by an earlier run of this plan: kept'],
                };
              if (found) {
                // Half-built by a run that died, or from another point before commit: made again.
                io.err(
                  `drkit: ${group.name}: ${name} ${found.state === 'building' ? 'was left half-built' : `came from point ${found.pointId}`}: rebuilding it`,
                );
                await recovery.remove(found.machineId, { signal: io.signal });
                notes.push(
                  found.state === 'building'
                    ? 'rebuilt: an interrupted run left it half-built'
                    : `rebuilt from this point (was ${found.pointId})`,
                );
              }
              const description = {
                ...member.description!,
                ...(m.cpuCount && { cpuCount: m.cpuCount }),
                ...(m.memoryMB && { memoryBytes: m.memoryMB * 1048576 }),
              };
              const disks = member.disks.map((d) => {
                if (streamed)
                  return {
                    name: d.name,
                    sizeBytes: d.sizeBytes,
                    read: () => streamed(point.id, d.key, { signal: io.signal }),
                    ...(store.recyclePointChunk && { recycle: store.recyclePointChunk.bind(store) }),
                  };
                const f = restored?.files.find((x) => x.machine === member.name && x.disk === d.name);
                if (!f) throw new DrkitError('integrity', `${member.name}/${d.name}: not in the restored point`);
                return { name: d.name, path: f.path, sizeBytes: f.sizeBytes };
              });
              const networkMap = test
                ? Object.fromEntries(description.nics.map((n) => [n.network ?? '(no network)', plan.testNetwork!]))
                : plan.networkMap;
              io.err(`drkit: ${group.name}: creating ${name} from ${member.name}`);
              const clock = stepClock((step) => io.err(`drkit: ${group.name}: ${name}: ${step}`));
              try {
                const r = await recovery.recover({
                  name,
                  description,
                  disks,
                  networkMap,
                  tag,
                  pointId: point.id,
                  placement: plan.placement,
                  signal: io.signal,
                  onProgress: (e) => clock.onProgress(e),
                });
                return {
                  ...base,
                  machineId: r.machineId,
                  state: 'created',
                  notes: [...notes, ...r.notes],
                  ms: clock.stop(),
                };
              } catch (error) {
                return {
                  ...base,
                  state: 'failed',
                  error: (error as Error).message,
                  ms: clock.stop(),
                };
              }
            }),
          );
          results.push(...done);
          const failed = done.filter((r) => r.state === 'failed');
          for (const f of failed) io.err(`drkit: ${group.name}: ${f.name} failed: ${f.error}`);
          if (failed.length > 0 && !group.continueOnError) {
            report(io, flags, point, test, tag, results, final);
            throw new DrkitError(
              'platform',
              `group ${group.name}: ${failed.length} machine(s) failed; the plan stopped (machines made so far are kept; re-run to resume, or drkit recover cleanup)`,
            );
          }
          // Addresses come from a discovery pass: only a port wait needs them.
          const addresses = group.post.some((a) => 'waitForPort' in a)
            ? await knownAddresses(adapter, done, io.signal)
            : new Map<string, string[]>();
          for (const a of group.post) {
            const note = await runAction(a, {
              ...context(done),
              machines: done.map((r) => ({
                name: r.name,
                machineId: r.machineId ?? '',
                addresses: addresses.get(r.machineId ?? '') ?? [],
              })),
            });
            if (note) io.err(`drkit: ${group.name}: ${note}`);
          }
        }
        report(io, flags, point, test, tag, results, final);
      } finally {
        await adapter.close();
        if (scratch) await rm(scratch, { recursive: true, force: true });
      }
    },
    io,
  );
}

/** `drkit recover commit <store> --plan <file>`: ends the plan's failover; its machines' point can no longer change. */
export async function runRecoverCommit(flags: RecoverFlags, io: CommandIo) {
  const plan = flags.plan
    ? await readRecoveryPlan(flags.plan)
    : adHocPlan({ ...flags, machine: flags.machine?.length ? flags.machine : ['-'] });
  const tag = planTag(plan, false);
  const { adapter } = await openAdapter(plan.target.endpoint, plan.target, io.err, io.registry);
  try {
    await adapter.connect({ signal: io.signal });
    if (!adapter.recovery) throw new UnsupportedError('recovery', `${adapter.kind}: no failover to commit`);
    const made = await adapter.recovery.listRecovered(tag, { signal: io.signal });
    if (made.length === 0)
      throw new DrkitError('not-found', `no failover of plan ${plan.name} on ${plan.target.endpoint}`);
    const half = made.filter((m) => m.state === 'building');
    if (half.length > 0)
      throw new DrkitError(
        'invalid-state',
        `${half.map((m) => m.name).join(', ')} are half-built: re-run the failover before committing`,
      );
    for (const m of made)
      if (m.state !== 'committed') await adapter.recovery.commit(m.machineId, { signal: io.signal });
    const result = { tag, committed: made.map((m) => ({ name: m.name, machineId: m.machineId, pointId: m.pointId })) };
    io.out(flags.json ? `${JSON.stringify(result, null, 2)}\n` : `committed ${made.length} machine(s) of ${tag}\n`);
  } finally {
    await adapter.close();
  }
}

/** `drkit recover cleanup <store> --plan <file>`: removes what the plan's test failover made (found by tag), nothing else. */
export async function runRecoverCleanup(flags: RecoverFlags, io: CommandIo) {
  const plan = flags.plan
    ? await readRecoveryPlan(flags.plan)
    : adHocPlan({ ...flags, machine: flags.machine?.length ? flags.machine : ['-'] });
  const tag = planTag(plan, flags.test !== false);
  const { adapter } = await openAdapter(plan.target.endpoint, plan.target, io.err, io.registry);
  try {
    await adapter.connect({ signal: io.signal });
    if (!adapter.recovery) throw new UnsupportedError('recovery', `${adapter.kind}: no recovered machines to clean up`);
    const made = await adapter.recovery.listRecovered(tag, { signal: io.signal });
    for (const m of made) {
      io.err(`drkit: removing ${m.name}`);
      await adapter.recovery.remove(m.machineId, { signal: io.signal });
    }
    const result = { tag, removed: made.map((m) => ({ name: m.name, machineId: m.machineId })) };
    io.out(flags.json ? `${JSON.stringify(result, null, 2)}\n` : `removed ${made.length} machine(s) tagged ${tag}\n`);
  } finally {
    await adapter.close();
  }
}

function report(
  io: CommandIo,
  flags: RecoverFlags,
  point: PointManifest,
  test: boolean,
  tag: string,
  machines: MachineResult[],
  final?: FinalPoint,
) {
  const result = {
    point: { id: point.id, createdAt: point.createdAt, consistency: point.consistency },
    test,
    tag,
    ...(final && { planned: { zeroDataLoss: true, shutdown: final.shutdown } }),
    machines,
  };
  io.out(
    flags.json
      ? `${JSON.stringify(result, null, 2)}\n`
      : `${machines.map((m) => `${m.group}  ${m.name}  ${m.state}${m.machineId ? `  ${m.machineId}` : ''}${m.error ? `  ${m.error}` : ''}`).join('\n')}\n`,
  );
}

/** The recovered machines' addresses, where the platform reports them (guest tools): what a port wait needs. */
async function knownAddresses(
  adapter: Adapter,
  done: MachineResult[],
  signal: AbortSignal,
): Promise<Map<string, string[]>> {
  const ids = new Set(done.map((d) => d.machineId).filter(Boolean));
  if (ids.size === 0) return new Map();
  const inventory = await collectInventory(adapter.site, adapter.discover({ kinds: ['machine'], signal }));
  return new Map(inventory.machines.filter((m) => ids.has(m.id)).map((m) => [m.id, m.addresses]));
}

interface FinalPoint {
  point: PointManifest;
  /** How each source machine stopped: its guest shut down, or powered off after the timeout. */
  shutdown: Record<string, 'guest' | 'forced' | 'already-off'>;
}

/**
 * A planned failover's source side: every machine of the plan shut down (guest first, power
 * off after `--shutdown-timeout`), then one last replication run. Nothing can be written after
 * that point: the failover from it loses no data.
 */
async function finalPoint(
  plan: RecoveryPlan,
  flags: RecoverFlags,
  members: Map<string, PointMember>,
  store: TargetStore,
  io: CommandIo,
): Promise<FinalPoint> {
  const source = plan.source ?? (flags.from ? { endpoint: flags.from, ...connection(flags) } : undefined);
  if (!source)
    throw new DrkitError('bad-input', '--planned needs the source: source: in the plan, or --from <endpoint>');
  const group = await openGroup(
    undefined,
    [],
    { group: { members: [...members.values()].map((m) => ({ ...source, machine: m.machineId })) } },
    io.err,
    io.registry,
  );
  try {
    const shutdown: FinalPoint['shutdown'] = {};
    await Promise.all(
      group.members.map(async (m) => {
        const ops = m.adapter.recovery;
        if (!ops?.shutdown)
          throw new UnsupportedError(
            'recovery',
            `${m.adapter.kind}: cannot shut ${m.name} down for a planned failover`,
          );
        io.err(`drkit: shutting ${m.name} down`);
        shutdown[m.name ?? m.machineId] = await ops.shutdown(m.machineId, {
          timeoutMs: (flags.shutdownTimeout ?? 300) * 1000,
          signal: io.signal,
        });
      }),
    );
    io.err('drkit: taking the final point');
    const run = await replicateGroup({
      members: group.members,
      consistency: 'crash',
      store,
      signal: io.signal,
      onProgress: progressReporter(io.err),
    });
    return { point: run.point, shutdown };
  } finally {
    await group.close();
  }
}

export function connection(flags: RecoverFlags) {
  const { thumbprint, insecure, caFile, passwordFile, identity, knownHosts, fingerprint } = flags;
  return {
    ...(thumbprint && { thumbprint }),
    ...(insecure && { insecure }),
    ...(caFile && { caFile }),
    ...(passwordFile && { passwordFile }),
    ...(identity && { identity }),
    ...(knownHosts && { knownHosts }),
    ...(fingerprint && { fingerprint }),
  };
}
