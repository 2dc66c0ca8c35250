/**
 * A Hyper-V group's snapshot window as a user gets it: the `drkit` binary runs `drkit
 * snapshot hyperv://… --json` through a real sshd whose logins are the stub Hyper-V host in
 * real pwsh, every CreateSnapshot held `delay` ms (a checkpoint takes time on a real host),
 * for groups of 1, 2 and 4 VMs (the stub host's four), `repeat` times each, alternating. It
 * reports the median `statement.skewMs` (first take started → last take confirmed) per size
 * with the product's default PowerShell sessions and with `--ps-sessions 1` (one session per
 * connection: the checkpoints one after another, as before the pool), and each size's window
 * as a ratio to one VM's.
 *
 *   pnpm build && pnpm bench:hyperv-fanout [--delay 1000] [--repeat 3]
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PWSH, pwshStubHost } from '../harness/pwsh-stub-host.js';
import { startSshd } from '../harness/sshd.js';
import { median, numberArg } from './bench-args.js';

const DRKIT = join(dirname(fileURLToPath(import.meta.url)), '../../packages/cli/bin/drkit.js');
const DELAY = numberArg('delay', 1000);
const REPEAT = numberArg('repeat', 3);
const SIZES = [1, 2, 4];
const VMS = ['DC01', 'SQL01', 'WEB01', 'LEGACY-APP'];
if (!PWSH) throw new Error('needs pwsh (as .ci/run installs it)');

const host = pwshStubHost('hyperv-host', { env: { DRKIT_STUB_SNAPSHOT_DELAY_MS: String(DELAY) } });
const sshd = await startSshd({ env: host.env });
try {
  const endpoint = [
    `hyperv://root@127.0.0.1:${sshd.port}`,
    '--identity',
    sshd.clientKeyFile,
    '--known-hosts',
    sshd.knownHostsFile,
  ];
  const run = async (args: string[]) =>
    (await promisify(execFile)(process.execPath, [DRKIT, ...args], { maxBuffer: 64 << 20 })).stdout;
  const modes = [
    { name: 'default sessions', flags: [] as string[] },
    { name: '--ps-sessions 1', flags: ['--ps-sessions', '1'] },
  ];
  const results = new Map<string, number[]>();
  for (let round = 0; round < REPEAT; round++)
    for (const mode of round % 2 ? [...modes].reverse() : modes)
      for (const n of round % 2 ? [...SIZES].reverse() : SIZES) {
        const machines = VMS.slice(0, n).flatMap((name) => ['--machine', name]);
        const out = JSON.parse(
          await run(['snapshot', ...endpoint, ...machines, '--consistency', 'crash', '--json', ...mode.flags]),
        ) as { statement: { skewMs: number }; members: unknown[] };
        if (out.members.length !== n) throw new Error(`asked for ${n} members, the point has ${out.members.length}`);
        const key = `${mode.name}/${n}`;
        results.set(key, [...(results.get(key) ?? []), out.statement.skewMs]);
      }
  const report = modes.map((mode) => {
    const one = median(results.get(`${mode.name}/1`)!);
    return {
      mode: mode.name,
      sizes: SIZES.map((n) => {
        const skew = median(results.get(`${mode.name}/${n}`)!);
        return { vms: n, skewMs: Math.round(skew), ratioToOne: Number((skew / one).toFixed(2)) };
      }),
    };
  });
  console.log(JSON.stringify({ delayMs: DELAY, repeat: REPEAT, report }, null, 2));
} finally {
  await sshd.stop();
  host.dispose();
}
