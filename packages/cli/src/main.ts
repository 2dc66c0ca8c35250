import { Command, InvalidArgumentError } from 'commander';
import { inventorySchemaV1 } from '@drkit/core';
import { runDiscover, type DiscoverFlags } from './discover-command.js';
import { exitCodeFor, oneLineReason } from './exit-codes.js';
import { DEFAULT_FIXTURE } from './default-fixture.js';

const program = new Command()
  .name('drkit')
  .description('disaster-recovery adapters: discover, snapshot, replicate')
  .showHelpAfterError()
  .exitOverride();

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
const io = {
  out: (text: string) => {
    process.stdout.write(text);
  },
  err: (line: string) => process.stderr.write(line + '\n'),
  signal: controller.signal,
};

program
  .command('discover')
  .argument('[endpoint]', 'vsphere://user@host[:port][/sdk]')
  .description('list the machines, hosts, clusters, storage and networks of a site')
  .option('--json', 'print the schema-versioned inventory as JSON (and nothing else) on stdout')
  .option('--record <dir>', 'record the session, redacted, into a fixture folder')
  .option('--replay <dir>', 'replay a recorded fixture instead of connecting')
  .option('--thumbprint <sha256>', "pin the server certificate's SHA-256 thumbprint")
  .option('--ca-file <pem>', 'trust this CA bundle for the server certificate')
  .option('--insecure', 'do not check the server certificate (warns)')
  .option('--password-file <file>', 'read the password from a file (else DRKIT_PASSWORD, else a prompt)')
  .option('--page-size <n>', 'objects per RetrievePropertiesEx page', positiveInt)
  .action(async (endpoint: string | undefined, flags: DiscoverFlags) => {
    if (!endpoint && !flags.replay) {
      flags.replay = DEFAULT_FIXTURE;
      io.err(`drkit: no endpoint given; replaying the recorded site ${DEFAULT_FIXTURE}`);
    }
    await runDiscover(endpoint, flags, io);
  });

program
  .command('schema')
  .description('print the JSON Schema of `discover --json`')
  .action(() => {
    io.out(JSON.stringify(inventorySchemaV1, null, 2) + '\n');
  });

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1');
  return n;
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const code = (error as { code?: string }).code;
  if (code?.startsWith('commander.')) {
    process.exitCode = code === 'commander.helpDisplayed' || code === 'commander.version' ? 0 : 2;
  } else {
    io.err(oneLineReason(error));
    process.exitCode = exitCodeFor(error);
  }
}
