import { setMaxListeners } from 'node:events';
import { Command, InvalidArgumentError } from 'commander';
import type { DiscoverFlags } from './discover-command.js';
import { EXIT, exitCodeFor, INTERRUPTED, oneLineReason } from './exit-codes.js';
import { printable } from './printable.js';
import { DEFAULT_FIXTURE } from './default-fixture.js';
import type { GroupFlags } from './point-commands.js';
import type { LinksFlags } from './links-command.js';
import { adapterModules, loadRegistry, type AdapterRegistry } from './adapter-registry.js';
import type { AdapterOption } from '@drkit/spec';

// Each command loads its code when it runs: `drkit --help` (and a typo) costs the command
// table only, not every adapter and transport (0.75 s → see the README's startup bench).
const discoverCommand = () => import('./discover-command.js');
const pointCommands = () => import('./point-commands.js');

// The adapters first (built in, plus --adapter modules): help, schemes and options come from them.
let registry: AdapterRegistry;
try {
  registry = await loadRegistry(adapterModules(process.argv.slice(2), process.env));
} catch (error) {
  process.stderr.write(`${oneLineReason(error)}\n`);
  process.exit(exitCodeFor(error));
}
const endpoints = registry.usage();

const program = new Command()
  .name('drkit')
  .description('disaster-recovery adapters: discover, snapshot, replicate')
  .showHelpAfterError('(drkit <command> --help shows the options)')
  .option(
    '--adapter <module>',
    'also load the adapter definitions this module exports (repeat; or DRKIT_ADAPTERS=a,b)',
    collect,
    [],
  )
  .exitOverride();

// Ctrl-C stops the work through its signal (runs stop resumably, stores stay whole);
// a second one ends the process at once. Either way the exit code says so (130).
const controller = new AbortController();
// One signal for everything the command does: a recovery plan's machines each listen on it at once.
setMaxListeners(64, controller.signal);
process.on('SIGINT', () => {
  if (controller.signal.aborted) process.exit(EXIT.interrupted);
  process.stderr.write('drkit: interrupted; stopping (Ctrl-C again to quit at once)\n');
  // A running command has loaded the core already: the reason is a typed DrkitError.
  void import('@drkit/core').then(({ DrkitError }) => controller.abort(new DrkitError('aborted', INTERRUPTED.message)));
});
const io = {
  out: (text: string) => {
    process.stdout.write(text);
  },
  err: (line: string) => process.stderr.write(`${printable(line)}\n`),
  signal: controller.signal,
  registry,
};

const discover = program
  .command('discover')
  .argument('[endpoint]', endpoints)
  .description('list the machines, hosts, clusters, storage and networks of a site')
  .option('--json', 'print the schema-versioned inventory as JSON (and nothing else) on stdout')
  .option('--record <dir>', 'record the session, redacted, into a fixture folder')
  .option('--replay <dir>', 'replay a recorded fixture instead of connecting')
  .option(
    '--watch',
    'vsphere://: print changes as they happen (added, removed, renamed, power, disks), a JSON line each',
  );
connectionOptions(adapterOptions(discover)).action(async (endpoint: string | undefined, flags: DiscoverFlags) => {
  if (!endpoint && !flags.replay) {
    flags.replay = DEFAULT_FIXTURE;
    io.err(`drkit: no endpoint given; replaying the recorded site ${DEFAULT_FIXTURE}`);
  }
  await (await discoverCommand()).runDiscover(endpoint, flags, io);
});

const groupOptions = (c: Command) =>
  connectionOptions(adapterOptions(c))
    .option('--machine <id|name>', 'a machine of the endpoint (repeat for a group; default: all)', collect, [])
    .option('--group <file>', 'a group config file spanning several endpoints')
    .option('--consistency <crash|app>', 'consistency to take (default crash)', oneOf(['crash', 'app']))
    .option(
      '--policy <require|fallback-to-crash>',
      'when app consistency fails (default require)',
      oneOf(['require', 'fallback-to-crash']),
    )
    .option('--freeze-budget <ms>', 'longest a member may stay frozen (default 6000)', positiveInt)
    .option('--json', 'print JSON (and nothing else) on stdout');

/** How to reach and trust an endpoint: the same for every command that connects. */
function connectionOptions(c: Command): Command {
  return c
    .option('--thumbprint <sha256>', "pin the server certificate's SHA-256 thumbprint")
    .option('--ca-file <pem>', 'trust this CA bundle for the server certificate')
    .option('--insecure', 'do not check the server certificate or SSH host key (warns)')
    .option(
      '--connections <n>',
      'https: API calls in flight per endpoint at most (default 64; a group of N members uses up to N)',
      positiveInt,
    )
    .option('--password-file <file>', 'read the password or API token from a file (else DRKIT_PASSWORD, else a prompt)')
    .option(
      '--identity <key file>',
      'ssh: private key (else DRKIT_PASSWORD or a prompt); passphrase from DRKIT_KEY_PASSPHRASE',
    )
    .option('--known-hosts <file>', 'ssh: verify the host key against this file (default ~/.ssh/known_hosts)')
    .option('--fingerprint <SHA256:b64>', "ssh: pin the host key's SHA-256 fingerprint");
}

/**
 * Each adapter's own options (`--disk`, `--page-size`), from its definition. A flag several
 * adapters declare alike (`--ps-sessions`) is one option, its help naming each scheme.
 */
function adapterOptions(c: Command): Command {
  const flags = new Map<string, { option: AdapterOption; schemes: string[] }>();
  for (const d of registry.definitions)
    for (const o of d.options ?? []) {
      const seen = flags.get(o.flag);
      if (seen && (seen.option.description !== o.description || !!seen.option.repeat !== !!o.repeat))
        throw new Error(
          `${o.flag} is declared twice with different meanings (${seen.schemes.join(', ')} and ${d.kind})`,
        );
      if (seen) seen.schemes.push(...d.schemes);
      else flags.set(o.flag, { option: o, schemes: [...d.schemes] });
    }
  for (const { option: o, schemes } of flags.values()) {
    const help = `${schemes.map((s) => `${s}://`).join(', ')}: ${o.description}`;
    if (o.repeat) c.option(o.flag, help, collect, []);
    else if (o.integer) c.option(o.flag, help, positiveInt);
    else c.option(o.flag, help);
  }
  return c;
}

/** Each target's own options (`--blob-endpoint`, `--account-key-file`), from its definition. */
function targetOptions(c: Command): Command {
  for (const t of registry.targets) {
    for (const o of t.options ?? []) c.option(o.flag, `${t.scheme}: ${o.description}`);
  }
  return c;
}
const stores = registry.targetUsage();

groupOptions(
  program
    .command('snapshot')
    .argument('[endpoint]', endpoints)
    .description('take one group snapshot at the source (kept, tagged)'),
).action(async (endpoint: string | undefined, flags: GroupFlags) =>
  (await pointCommands()).runSnapshot(endpoint, flags, io),
);

targetOptions(
  groupOptions(
    program
      .command('replicate')
      .argument('[endpoint]', endpoints)
      .description('replicate into a target: one run, one new recovery point'),
  ),
)
  .option('--target <store>', `where replicas and recovery points live: ${stores}`)
  .option('--resync', 'compare checksums over whole disks, whatever change tracking says')
  .option('--max-rate <bytes/s>', 'limit source reads', positiveInt)
  .action(
    async (endpoint: string | undefined, flags: GroupFlags & { target?: string; resync?: boolean; maxRate?: number }) =>
      (await pointCommands()).runReplicate(endpoint, flags, io),
  );

targetOptions(program.command('points'))
  .argument('<target>', stores)
  .description('list recovery points, oldest first')
  .option('--prune', 'apply retention first')
  .option('--keep <n>', 'with --prune: keep the newest n points', positiveInt)
  .option('--retention-hours <h>', 'with --prune: drop points older than this (default 24)', positiveInt)
  .option('--json', 'print JSON on stdout')
  .action(async (target: string, flags: { json?: boolean; prune?: boolean; keep?: number; retentionHours?: number }) =>
    (await pointCommands()).runPoints(target, flags, io),
  );

targetOptions(program.command('restore'))
  .argument('<target>', stores)
  .argument('<point-id>', 'a point id (or a unique prefix of at least 4 characters)')
  .description('write one image per disk under <out>/<machine>/, every block verified')
  .option('--out <dir>', 'where to write the images (an empty or new folder)')
  .option(
    '--format <format>',
    'raw (.img, the default), vhd (fixed, written by drkit), or vhdx, vmdk (stream-optimized), qcow2 (converted by qemu-img)',
  )
  .option('--force', 'write into a folder that is not empty, replacing images of the same names')
  .option('--json', 'print JSON on stdout')
  .action(
    async (
      target: string,
      pointId: string,
      flags: { out?: string; json?: boolean; force?: boolean; format?: string },
    ) => (await pointCommands()).runRestore(target, pointId, flags, io),
  );

connectionOptions(targetOptions(program.command('recover')))
  .argument('<store>', `${stores}; or "cleanup" / "commit" followed by the store`)
  .argument('[point-id]', 'a point id (prefix of ≥ 4), latest, latest-app or an ISO time (default latest)')
  .description(
    'bring machines up from a point: --plan <file> (groups in order, network map, pre/post steps) or --machine <m> --to <endpoint>; --test for a drill on the test network; "recover cleanup <store> --plan <file>" removes what a test made; "recover failback <store> --machine <m>[=<original>] --to <endpoint>" writes a point back into the original machines, only the blocks that differ. azure:// without --plan/--to: failover staging (managed-disk-ready VHDs, and the az commands)',
  )
  .option('--plan <file>', 'a recovery plan (YAML or JSON)')
  .option('--machine <name>', 'without a plan: a machine of the point (repeat)', collect, [])
  .option('--to <endpoint>', 'without a plan: where the machines come up (vsphere://…)')
  .option('--network-map <src=dst>', 'without a plan: a source network and its target network (repeat)', collect, [])
  .option('--test-network <name>', 'without a plan: where every NIC goes in a --test')
  .option('--datacenter <name>', "without a plan: the target datacenter (default: the datastore's, or the first)")
  .option('--datastore <name>', 'without a plan: the target datastore (default: the first accessible)')
  .option('--pool <name>', 'without a plan: the target resource pool (default: the first)')
  .option(
    '--point <point>',
    'latest (default), latest-app, a point id, or an ISO time (the newest point at or before it)',
  )
  .option('--test', 'a test failover: names suffixed -test, every NIC on the test network, production untouched')
  .option(
    '--planned',
    'a planned failover: shut the source machines down, take a final point, fail over from it (no data lost)',
  )
  .option('--from <endpoint>', "without a plan's source: where the machines run now (--planned)")
  .option(
    '--shutdown-timeout <s>',
    '--planned: seconds a guest gets to shut down before it is powered off (default 300)',
    positiveInt,
  )
  .option('--yes', 'confirm a failover (and every manual pause of the plan) without a terminal')
  .option('--json', 'print JSON on stdout')
  .action(async (first: string, second: string | undefined, flags: Record<string, unknown>) => {
    const recover = () => import('./recover-command.js');
    if (first === 'cleanup') return (await recover()).runRecoverCleanup(flags, io);
    if (first === 'commit') return (await recover()).runRecoverCommit(flags, io);
    if (first === 'failback') return (await import('./failback-command.js')).runRecoverFailback(second, flags, io);
    if (flags.plan || flags.to) return (await recover()).runRecoverPlan(first, second, flags, io);
    if (!second) throw new InvalidArgumentError('give a point id, or --plan <file>, or --machine <m> --to <endpoint>');
    return (await pointCommands()).runRecover(first, second, flags as { json?: boolean }, io);
  });

targetOptions(program.command('verify'))
  .argument('<target>', stores)
  .argument('[point-id]', 'one point (or a unique prefix of at least 4 characters); all when absent')
  .description('check recovery points against their checksums without writing')
  .option('--json', 'print JSON on stdout')
  .action(async (target: string, pointId: string | undefined, flags: { json?: boolean }) =>
    (await pointCommands()).runVerify(target, pointId, flags, io),
  );

connectionOptions(
  adapterOptions(
    program
      .command('links')
      .argument('[endpoint]', endpoints)
      .description(
        "a platform's own replication (SnapMirror, pgroups, Hyper-V Replica, VMM replication groups): state, health, lag; act on one link",
      ),
  ),
)
  .option('--update <link-id>', 'send the newest data now')
  .option('--failover <link-id>', 'make the target writable (ONTAP: quiesce, then break)')
  .option('--resync <link-id>', 're-establish a broken-off link (or one the platform stopped)')
  .option('--replay <dir>', 'replay a recorded fixture instead of connecting')
  .option('--json', 'print JSON on stdout')
  .action(async (endpoint: string | undefined, flags: LinksFlags) =>
    (await import('./links-command.js')).runLinks(endpoint, flags, io),
  );

const serviceCommands = () => import('./service-commands.js');
const configHelp = 'the protection config (YAML or JSON; default $DRKIT_CONFIG, else drkit.yaml)';

program
  .command('serve')
  .argument('<config>', 'the protection config: groups, targets, policies, alerts (YAML or JSON)')
  .description('keep every group of the config within its RPO until SIGTERM (runs finish or stop resumably)')
  .option('--check', 'validate the config and exit')
  .option(
    '--queue <redis://host[:port][/db]>',
    'run the groups as BullMQ jobs for drkit workers (else in this process)',
  )
  .option('--queue-password-file <file>', 'the Redis password (else DRKIT_REDIS_PASSWORD; never in the URL)')
  .action(async (config: string, flags: { check?: boolean; queue?: string; queuePasswordFile?: string }) =>
    (await serviceCommands()).runServe(config, flags, io),
  );

program
  .command('worker')
  .description('run the groups drkit serve --queue schedules (any number of workers, on any machine)')
  .option('--queue <redis://host[:port][/db]>', 'the Redis of drkit serve --queue')
  .option('--queue-password-file <file>', 'the Redis password (else DRKIT_REDIS_PASSWORD; never in the URL)')
  .option('--concurrency <n>', 'runs at once in this worker (default 2)', positiveInt)
  .option(
    '--stall-timeout <s>',
    'a worker silent this long is presumed dead; its run goes to another (default 30)',
    positiveInt,
  )
  .option('--stop-deadline <s>', 'on SIGTERM, how long running runs may take to finish (default 60)', positiveInt)
  .action(
    async (flags: {
      queue?: string;
      queuePasswordFile?: string;
      concurrency?: number;
      stallTimeout?: number;
      stopDeadline?: number;
    }) => (await serviceCommands()).runWorker(flags, io),
  );

program
  .command('status')
  .argument('[config]', configHelp)
  .description("each group's health, last point, current RPO and next run")
  .option('--json', 'print JSON on stdout')
  .action(async (config: string | undefined, flags: { json?: boolean }) =>
    (await serviceCommands()).runStatus(config, flags, io),
  );

program
  .command('jobs')
  .argument('[config]', configHelp)
  .description("the service's runs: when, how long, bytes, the point made or the error")
  .option('--group <name>', 'one group only')
  .option('--last <n>', 'the newest n runs', positiveInt)
  .option('--json', 'print JSON on stdout')
  .action(async (config: string | undefined, flags: { group?: string; json?: boolean; last?: number }) =>
    (await serviceCommands()).runJobs(config, flags, io),
  );

program
  .command('resume')
  .argument('<group>', 'a group waiting for an operator (needs-attention)')
  .argument('[config]', configHelp)
  .description('run a group again after fixing what it waited for (a password, a permission)')
  .action(async (group: string, config: string | undefined) => (await serviceCommands()).runResume(config, group, io));

program
  .command('schema')
  .description('print the JSON Schema of `discover --json`')
  .action(async () => {
    io.out(`${JSON.stringify((await import('@drkit/core')).inventorySchemaV1, null, 2)}\n`);
  });

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function oneOf<T extends string>(values: T[]) {
  return (value: string): T => {
    if (!values.includes(value as T)) throw new InvalidArgumentError(`expected one of ${values.join(', ')}`);
    return value as T;
  };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1');
  return n;
}

try {
  await program.parseAsync(process.argv);
  if (controller.signal.aborted) throw INTERRUPTED;
} catch (error) {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('commander.')) {
    process.exitCode = code === 'commander.helpDisplayed' || code === 'commander.version' ? 0 : EXIT.badInput;
  } else {
    io.err(oneLineReason(controller.signal.aborted ? INTERRUPTED : error));
    process.exitCode = controller.signal.aborted ? EXIT.interrupted : exitCodeFor(error);
  }
}
