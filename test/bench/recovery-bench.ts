/**
 * Recovery time (issue 17), against govmomi's simulator, in one run:
 *   pnpm build && pnpm bench:recovery [-- --vms 10 --mib 256 --repeat 3]
 * A point of `vms` reference machines of `mib` MiB each (random data) in a dir: store; then
 * whole `drkit recover <store> --plan … --test --json` processes (the CLI as shipped) bringing
 * them all up on the simulator, start to all powered on, against the floor measured in the same
 * run: `curl -T` of the same images to the same datastore, all in parallel as drkit uploads
 * them. Goal: ≤ 1.3× the floor + 2 s. Alternating, medians.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startVcsim } from '../harness/vcsim.js';
import { withAdminSession } from '../harness/vsphere-admin.js';
import { median, numberArg } from './bench-args.js';
import { cloningVolume } from './cloning-volume.js';

const VMS = numberArg('vms', 10);
const MIB = numberArg('mib', 256);
const REPEAT = numberArg('repeat', 3);
// --xfs 1: the site and the store on an xfs volume (root), where drkit's restore is a clone.
const XFS = numberArg('xfs', 0) === 1;
const BIN = new URL('../../packages/cli/bin/drkit.js', import.meta.url).pathname;
const run = promisify(execFile);

const sim = await startVcsim({ clusters: 1, hostsPerCluster: 1, standaloneHosts: 0, vmsPerPool: 1 });
const volume = XFS ? await cloningVolume(Math.ceil((VMS * MIB * 3) / 1024) + 2) : undefined;
if (XFS && !volume) throw new Error('--xfs 1 needs root and mkfs.xfs');
// The site, the store and their images: ~5 GiB a run, removed however the run ends.
const dir = await mkdtemp(join(volume?.dir ?? tmpdir(), 'drkit-recovery-bench-'));
try {
  const site = join(dir, 'site');
  const images: string[] = [];
  for (let i = 0; i < VMS; i++) {
    await mkdir(join(site, `vm${i}`), { recursive: true });
    const image = join(site, `vm${i}`, 'os.img');
    await writeFile(image, randomBytes(MIB * 1024 * 1024));
    images.push(image);
  }
  const store = `dir:${join(dir, 'store')}`;
  await run(process.execPath, [BIN, 'replicate', `file://${site}`, '--target', store], { maxBuffer: 1 << 26 });
  const plan = join(dir, 'plan.yaml');
  await writeFile(
    plan,
    [
      'name: bench',
      `target: { endpoint: "vsphere://${sim.username}@127.0.0.1:${sim.port}", thumbprint: "${sim.thumbprint}" }`,
      'testNetwork: VM Network',
      `groups: [ { name: all, machines: [ ${images.map((_, i) => `vm${i}`).join(', ')} ] } ]`,
      '',
    ].join('\n'),
  );
  const env = { ...process.env, DRKIT_PASSWORD: sim.password };
  const drkit = async () => {
    const started = performance.now();
    const { stdout } = await run(process.execPath, [BIN, 'recover', store, '--plan', plan, '--test', '--json'], {
      env,
      maxBuffer: 1 << 26,
    });
    const ms = performance.now() - started;
    const made = (JSON.parse(stdout) as { machines: Array<{ state: string }> }).machines.filter(
      (m) => m.state === 'created',
    );
    if (made.length !== VMS) throw new Error(`drkit made ${made.length} of ${VMS} machines`);
    await run(process.execPath, [BIN, 'recover', 'cleanup', store, '--plan', plan], { env });
    return ms;
  };
  const floor = (round: number) =>
    withAdminSession(sim, async (_client, cookie) => {
      const started = performance.now();
      await Promise.all(
        images.map((image, i) =>
          run('curl', [
            '-k',
            '-s',
            '-f',
            '-T',
            image,
            '-H',
            `Cookie: ${cookie}`,
            '-H',
            'Content-Type: application/octet-stream',
            `${sim.origin}/folder/floor-${round}-${i}/disk-flat.vmdk?dcPath=DC0&dsName=LocalDS_0`,
          ]),
        ),
      );
      return performance.now() - started;
    });
  const times = { drkit: [] as number[], floor: [] as number[] };
  for (let round = 0; round < REPEAT; round++)
    for (const who of round % 2 ? (['floor', 'drkit'] as const) : (['drkit', 'floor'] as const)) {
      // Each side starts with nothing left to write back: the 2.5 GiB the one before wrote
      // would otherwise be flushed to disk during (and charged to) whichever runs next.
      await run('sync', []);
      times[who].push(who === 'drkit' ? await drkit() : await floor(round));
    }
  const d = median(times.drkit);
  const f = median(times.floor);
  console.log(
    JSON.stringify({
      storeOn: volume ? 'xfs (reflink)' : 'the temp folder',
      vms: VMS,
      mibEach: MIB,
      drkitMs: Math.round(d),
      floorMs: Math.round(f),
      ratio: Math.round((d / f) * 100) / 100,
      goalMs: Math.round(1.3 * f + 2000),
      met: d <= 1.3 * f + 2000,
      rounds: times,
    }),
  );
} finally {
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
  await volume?.teardown();
}
