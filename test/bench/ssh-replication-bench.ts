/**
 * Physical-server replication over SSH against rsync (issue 5), one run, same sshd:
 *   pnpm bench:ssh [-- --gib 1 --repeat 5 --percent 1 --resync 0|1]
 * A 1 GiB loop-device disk (random data, on a btrfs pool) is replicated once; then, each
 * round, 1% of its 4 KiB blocks are rewritten at random and both sides bring their copy up
 * to date: drkit (btrfs snapshot, remote block hashes, only differing blocks sent, written
 * into the replica + undo journal) and `rsync --inplace --no-whole-file --ignore-times` (a
 * loop device's writes may leave the image's mtime alone, and rsync would skip it) of the same image
 * over the same sshd into a local copy. Both go through one counting TCP proxy: "wire" is
 * every byte both ways, SSH framing and handshakes included. Order alternates per round;
 * medians reported. Needs root (loop devices, sshd): run it the way CI provisions.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openDirStore, replicateGroup } from '@drkit/core';
import { createPhysicalAdapter } from '@drkit/physical';
import { startSshd } from '../harness/sshd.js';
import { startTcpProxy } from '../harness/tcp-proxy.js';
import { median, numberArg } from './bench-args.js';

const SIZE = numberArg('gib', 1) * 1024 ** 3;
const REPEAT = numberArg('repeat', 5);
const PERCENT = numberArg('percent', 1);
// 0: delta from the snapshots' extent maps (the normal run); 1: resync by remote checksums.
const RESYNC = numberArg('resync', 0) === 1;
const BLOCK = 4096;
const run = promisify(execFile);
const sh = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' }).trim();

const work = await mkdtemp(join(tmpdir(), 'drkit-sshbench-'));
const cleanups: Array<() => unknown> = [];
try {
  // The pool: btrfs on a loop device, a subvolume holding the disk image, the image a loop device.
  sh('truncate', '-s', `${Math.ceil((SIZE * 2.5) / 1024 ** 2)}M`, join(work, 'pool.img'));
  sh('mkfs.btrfs', '-q', join(work, 'pool.img'));
  const poolDev = sh('losetup', '-f', '--show', join(work, 'pool.img'));
  cleanups.push(() => sh('losetup', '-d', poolDev));
  sh('mkdir', '-p', join(work, 'pool'));
  sh('mount', poolDev, join(work, 'pool'));
  cleanups.push(() => sh('umount', '-l', join(work, 'pool')));
  sh('btrfs', 'subvolume', 'create', join(work, 'pool', 'disks'));
  const image = join(work, 'pool', 'disks', 'disk.img');
  const f = await open(image, 'w');
  for (let o = 0; o < SIZE; o += 8 << 20) await f.write(randomBytes(8 << 20), 0, 8 << 20, o);
  await f.close();
  const device = sh('losetup', '-f', '--show', image);
  cleanups.push(() => sh('losetup', '-d', device));

  const sshd = await startSshd();
  cleanups.push(() => sshd.stop());
  const proxy = await startTcpProxy(sshd.port);
  cleanups.push(() => proxy.close());
  const knownHosts = join(work, 'known_hosts');
  const hostPub = sh('cat', join(sshd.dir, 'host_key.pub')).split(/\s+/).slice(0, 2).join(' ');
  await writeFile(knownHosts, `[127.0.0.1]:${proxy.port} ${hostPub}\n`);

  const adapter = createPhysicalAdapter({
    ssh: {
      host: '127.0.0.1',
      port: proxy.port,
      username: 'root',
      privateKey: sshd.clientKey,
      hostKey: { kind: 'known-hosts', file: knownHosts },
    },
    disks: [device],
  });
  await adapter.connect();
  const machineId = adapter.site.instanceId!;
  const store = await openDirStore(join(work, 'store'));
  cleanups.push(() => store.close());
  const rsyncCopy = join(work, 'rsync-copy.img');
  const rsync = () =>
    run('rsync', [
      '--inplace',
      '--no-whole-file',
      '--ignore-times',
      '-e',
      `ssh -p ${proxy.port} -i ${sshd.clientKeyFile} -o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes -o BatchMode=yes`,
      `root@127.0.0.1:${image}`,
      rsyncCopy,
    ]);
  const t0 = performance.now();
  const drkit = () =>
    replicateGroup({
      members: [{ adapter, machineId, name: 'srv' }],
      consistency: 'crash',
      store,
      resync: RESYNC,
      onProgress: (e) => {
        if (process.env.DRKIT_BENCH_TRACE)
          console.error(((performance.now() - t0) / 1000).toFixed(2), JSON.stringify(e));
      },
    });

  console.error(`initial copies of ${SIZE / 1024 ** 3} GiB (not timed)…`);
  await drkit();
  await rsync();

  const changedBlocks = Math.round((SIZE / BLOCK) * (PERCENT / 100));
  const rows: Array<{ side: string; seconds: number; wire: number }> = [];
  const measure = async (side: string, fn: () => Promise<unknown>) => {
    execFileSync('sync');
    proxy.resetCounters();
    const t = performance.now();
    await fn();
    const seconds = (performance.now() - t) / 1000;
    const { up, down } = proxy.bytes();
    rows.push({ side, seconds, wire: up + down });
    console.error(`  ${side.padEnd(6)} ${seconds.toFixed(2)} s  ${((up + down) / 2 ** 20).toFixed(1)} MiB on the wire`);
  };
  for (let round = 0; round < REPEAT; round++) {
    const dev = await open(device, 'r+');
    for (let i = 0; i < changedBlocks; i++)
      await dev.write(randomBytes(BLOCK), 0, BLOCK, randomInt(SIZE / BLOCK) * BLOCK);
    await dev.sync();
    await dev.close();
    console.error(`round ${round + 1}: ${changedBlocks} blocks (${PERCENT}%) rewritten`);
    const order = round % 2 === 0 ? (['drkit', 'rsync'] as const) : (['rsync', 'drkit'] as const);
    for (const side of order) await measure(side, side === 'drkit' ? drkit : rsync);
  }
  await adapter.close();
  // Both copies must be the image, or the comparison means nothing.
  const restored = await store.restore((await store.listPoints()).at(-1)!.id, join(work, 'out'));
  const same = sh('cmp', restored.files[0]!.path, image) === '' && sh('cmp', rsyncCopy, image) === '';
  const of = (side: string) => rows.filter((r) => r.side === side);
  const d = { seconds: median(of('drkit').map((r) => r.seconds)), wire: median(of('drkit').map((r) => r.wire)) };
  const r = { seconds: median(of('rsync').map((r) => r.seconds)), wire: median(of('rsync').map((r) => r.wire)) };
  const result = {
    bench: 'ssh-replication',
    mode: RESYNC ? 'resync' : 'delta',
    sizeBytes: SIZE,
    changedPercent: PERCENT,
    rounds: REPEAT,
    drkit: { medianSeconds: d.seconds, medianWireBytes: d.wire },
    rsync: { medianSeconds: r.seconds, medianWireBytes: r.wire },
    timeRatio: d.seconds / r.seconds,
    wireRatio: d.wire / r.wire,
    copiesIdentical: same,
    // A delta knows what changed; a resync compares every block's checksum on the host first.
    goal: RESYNC ? { timeRatioAtMost: 1, wireRatioAtMost: 0.25 } : { timeRatioAtMost: 0.5, wireRatioAtMost: 1 },
  };
  console.log(JSON.stringify(result, null, 2));
  await writeFile(
    new URL(`./results/ssh-replication-${RESYNC ? 'resync' : 'delta'}.json`, import.meta.url),
    `${JSON.stringify(result, null, 2)}\n`,
  ).catch(() => {});
} finally {
  for (const c of cleanups.reverse())
    await Promise.resolve()
      .then(c)
      .catch(() => {});
  await rm(work, { recursive: true, force: true });
}
