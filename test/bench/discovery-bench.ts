/**
 * Discovery benchmark: drkit vs govmomi's view.Manager + Retrieve, same properties, same
 * simulator (5,000 VMs, govmomi 0.24.2), run alternately in one run.
 *   pnpm bench:discovery [-- --rounds 7 --vms 5000]
 * Reports, as medians: each side's whole process as a user runs it (drkit: the installed-style
 * `drkit discover … --json` on the CLI's own defaults, start-up included; govmomi: its binary)
 * and the ratio; inside-the-process wall time (connect → logout) of drkit's library and of the
 * peer; each side's peak RSS; and `drkit --help` alone (start-up).
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startVcsim } from '../harness/vcsim.js';

const DRKIT = join(dirname(fileURLToPath(import.meta.url)), '../../packages/cli/bin/drkit.js');

const HERE = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

interface Sample {
  ms: number;
  machines: number;
  hosts: number;
  maxRssMB: number;
}

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const rounds = arg('rounds', 7);
const vms = arg('vms', 5000);
const clusters = 10;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

async function buildPeer(): Promise<string> {
  const src = join(HERE, 'peer/govmomi-discovery');
  const bin = join(src, '.bin/govmomi-discovery');
  await mkdir(dirname(bin), { recursive: true });
  await run('go', ['build', '-o', bin, '.'], {
    cwd: src,
    env: {
      ...process.env,
      GO111MODULE: 'off',
      GOPATH: '/usr/share/gocode',
      GOCACHE: join(HERE, '../harness/vcsim/.bin/gocache'),
    },
  });
  return bin;
}

const peer = await buildPeer();
const t0 = Date.now();
const sim = await startVcsim({
  clusters,
  hostsPerCluster: 4,
  standaloneHosts: 0,
  vmsPerPool: vms / clusters,
  datastores: 4,
  portgroups: 4,
});
console.error(`simulator: ${sim.machines} VMs, ${sim.hosts} hosts, started in ${Date.now() - t0} ms`);
const env = { ...process.env, VCSIM_PASSWORD: sim.password, DRKIT_PASSWORD: sim.password };
const endpoint = `vsphere://${sim.username}@${new URL(sim.url).host}`;

/** Wall time of a whole process, from spawn to exit. */
const timed = async <T>(fn: () => Promise<T>): Promise<{ value: T; wallMs: number }> => {
  const t = performance.now();
  const value = await fn();
  return { value, wallMs: performance.now() - t };
};

const sides = {
  // The product as shipped: the CLI with its defaults (page size, connections), as a process.
  cli: async (): Promise<Sample> => {
    const { stdout } = await run(
      process.execPath,
      [DRKIT, 'discover', endpoint, '--thumbprint', sim.thumbprint, '--json'],
      { env, maxBuffer: 1 << 28 },
    );
    const inv = JSON.parse(stdout) as { machines: unknown[]; hosts: unknown[] };
    return { ms: 0, machines: inv.machines.length, hosts: inv.hosts.length, maxRssMB: 0 };
  },
  drkit: async (): Promise<Sample> => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', join(HERE, 'drkit-discovery-run.ts'), sim.origin, sim.thumbprint, sim.username],
      { env, maxBuffer: 1 << 24 },
    );
    return JSON.parse(stdout) as Sample;
  },
  govmomi: async (): Promise<Sample> => {
    const { stdout } = await run(peer, [`-url=${sim.url}`, `-username=${sim.username}`], { env, maxBuffer: 1 << 24 });
    return JSON.parse(stdout) as Sample;
  },
};

const samples: Record<keyof typeof sides, Sample[]> = { cli: [], drkit: [], govmomi: [] };
const walls: Record<keyof typeof sides, number[]> = { cli: [], drkit: [], govmomi: [] };
const helpMs: number[] = [];
try {
  // One warm-up each (page cache, simulator lazy state), then alternate, rotating the order.
  for (const side of ['cli', 'drkit', 'govmomi'] as const) await sides[side]();
  const sideNames = ['cli', 'govmomi', 'drkit'] as const;
  for (let r = 0; r < rounds; r++) {
    const order = sideNames.map((_, i) => sideNames[(i + r) % sideNames.length]!);
    for (const side of order) {
      const { value: s, wallMs } = await timed(() => sides[side]());
      if (s.machines !== sim.machines) throw new Error(`${side} saw ${s.machines} machines, expected ${sim.machines}`);
      samples[side].push(s);
      walls[side].push(wallMs);
      console.error(
        `round ${r + 1} ${side.padEnd(7)} process ${wallMs.toFixed(0).padStart(6)} ms  inside ${s.ms.toFixed(0).padStart(6)} ms`,
      );
    }
    helpMs.push((await timed(() => run(process.execPath, [DRKIT, '--help']))).wallMs);
  }
} finally {
  await sim.stop();
}

const result = {
  date: new Date().toISOString(),
  vms: sim.machines,
  rounds,
  wholeProcess: {
    drkitCliMs: median(walls.cli),
    govmomiMs: median(walls.govmomi),
    ratio: median(walls.cli) / median(walls.govmomi),
  },
  helpMs: median(helpMs),
  drkit: {
    medianMs: median(samples.drkit.map((s) => s.ms)),
    peakRssMB: Math.max(...samples.drkit.map((s) => s.maxRssMB)),
  },
  govmomi: {
    medianMs: median(samples.govmomi.map((s) => s.ms)),
    peakRssMB: Math.max(...samples.govmomi.map((s) => s.maxRssMB)),
  },
  ratio: 0,
};
result.ratio = result.drkit.medianMs / result.govmomi.medianMs;
await mkdir(join(HERE, 'results'), { recursive: true });
await writeFile(join(HERE, 'results/discovery.json'), JSON.stringify({ ...result, samples }, null, 2));
console.log(
  `whole processes: drkit discover ${result.wholeProcess.drkitCliMs.toFixed(0)} ms, govmomi ${result.wholeProcess.govmomiMs.toFixed(0)} ms, ` +
    `ratio ${result.wholeProcess.ratio.toFixed(2)}; drkit --help ${result.helpMs.toFixed(0)} ms`,
);
console.log(
  `inside the process, ${result.vms} VMs, ${rounds} rounds, medians: drkit ${result.drkit.medianMs.toFixed(0)} ms, ` +
    `govmomi ${result.govmomi.medianMs.toFixed(0)} ms, ratio drkit/govmomi ${result.ratio.toFixed(2)}; ` +
    `peak RSS drkit ${result.drkit.peakRssMB.toFixed(0)} MB, govmomi ${result.govmomi.peakRssMB.toFixed(0)} MB`,
);
