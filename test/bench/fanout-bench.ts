/**
 * A consistency group's snapshot window as a user gets it: the installed-style `drkit`
 * binary (built JavaScript, its own defaults) runs `drkit snapshot … --json` against the
 * vCenter simulator with every CreateSnapshot_Task held `delay` ms, for groups of 1, 10,
 * 25 and 50 VMs, `repeat` times each (sizes alternating), and reports the median
 * `statement.skewMs` (first take started → last take confirmed) and wall time per size, and
 * each size's window as a ratio to one VM's. Goal: 50 VMs ≤ 1.5× one VM, flat from 10 to 50.
 * `--connections <n>` passes the CLI's own option (the default is the product's, 64), so the
 * old default (4) can be measured the same way.
 *
 *   pnpm bench:fanout [--delay 200] [--repeat 3] [--connections 4]
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startVcsim } from '../harness/vcsim.js';
import { median, numberArg } from './bench-args.js';

const DRKIT = join(dirname(fileURLToPath(import.meta.url)), '../../packages/cli/bin/drkit.js');
const DELAY = numberArg('delay', 200);
const REPEAT = numberArg('repeat', 3);
const CONNECTIONS = numberArg('connections', 0);
const SIZES = [1, 10, 25, 50];

const sim = await startVcsim({
  clusters: 1,
  hostsPerCluster: 1,
  standaloneHosts: 0,
  vmsPerPool: Math.max(...SIZES),
  methodDelays: { CreateSnapshot_Task: DELAY },
});
try {
  const run = async (args: string[]) =>
    (
      await promisify(execFile)(process.execPath, [DRKIT, ...args], {
        env: { ...process.env, DRKIT_PASSWORD: sim.password },
        maxBuffer: 64 << 20,
      })
    ).stdout;
  const endpoint = [`vsphere://${sim.username}@${sim.host}:${sim.port}/sdk`, '--thumbprint', sim.thumbprint];
  const inventory = JSON.parse(await run(['discover', ...endpoint, '--json'])) as { machines: Array<{ name: string }> };
  const names = inventory.machines.map((m) => m.name).sort();
  const results = new Map(SIZES.map((n) => [n, { skew: [] as number[], wall: [] as number[] }]));
  for (let round = 0; round < REPEAT; round++) {
    for (const n of round % 2 ? [...SIZES].reverse() : SIZES) {
      const machines = names.slice(0, n).flatMap((name) => ['--machine', name]);
      const started = performance.now();
      const out = JSON.parse(
        await run([
          'snapshot',
          ...endpoint,
          ...machines,
          '--json',
          ...(CONNECTIONS ? ['--connections', String(CONNECTIONS)] : []),
        ]),
      ) as { statement: { skewMs: number }; members: unknown[] };
      if (out.members.length !== n) throw new Error(`asked for ${n} members, the point has ${out.members.length}`);
      results.get(n)!.skew.push(out.statement.skewMs);
      results.get(n)!.wall.push(performance.now() - started);
    }
  }
  const one = median(results.get(1)!.skew);
  const table = SIZES.map((n) => {
    const r = results.get(n)!;
    return {
      vms: n,
      skewMs: Math.round(median(r.skew)),
      wallMs: Math.round(median(r.wall)),
      vsOneVm: +(median(r.skew) / one).toFixed(2),
    };
  });
  console.log(
    JSON.stringify({ delayMs: DELAY, repeat: REPEAT, connections: CONNECTIONS || 'default', groups: table }, null, 2),
  );
} finally {
  await sim.stop();
}
