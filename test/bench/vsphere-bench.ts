/**
 * vSphere (issue 4), against govmomi's simulator, in one run:
 *   pnpm bench:vsphere [-- --vms 50 --delay 200 --mib 512 --repeat 7]
 * 1. Snapshot fan-out: a consistency group of `vms` VMs with every CreateSnapshot_Task held
 *    `delay` ms by the simulator (its DelayConfig), against one VM alone. Reported: the
 *    group's snapshot window (first take started → last take done) and its wall time, and
 *    the ratio to the single VM's. The goal: the window stays within 1.5× a single VM's.
 * 2. Disk reads over /folder: a `mib` MiB flat extent read through drkit's DiskSource (the
 *    read size and count the source asks the engine for, into buffers reused as the engine recycles them) against
 *    `curl` fetching the same file with the same session cookie, alternating. The goal: ≥ 80% of curl's throughput.
 * Medians of `repeat` rounds.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { DEFAULT_CHUNK_BYTES, DEFAULT_READ_AHEAD, collectInventory, takeGroupPoint } from '@drkit/core';
import { createHttpTransport } from '@drkit/http';
import { createVSphereAdapter, openVSphereDisk } from '@drkit/vsphere';
import { startVcsim } from '../harness/vcsim.js';
import { putDatastoreFile, withAdminSession } from '../harness/vsphere-admin.js';
import { median, numberArg } from './bench-args.js';

const VMS = numberArg('vms', 50);
const DELAY = numberArg('delay', 200);
const MIB = numberArg('mib', 512);
const REPEAT = numberArg('repeat', 7);

// One resource pool holding every VM: 1 cluster of 1 host, no standalone hosts.
const sim = await startVcsim({
  clusters: 1,
  hostsPerCluster: 1,
  standaloneHosts: 0,
  vmsPerPool: VMS,
  methodDelays: { CreateSnapshot_Task: DELAY },
});
try {
  // The transport as the CLI makes it: its default connection cap (no bench-only setting).
  const adapter = createVSphereAdapter({
    transport: createHttpTransport({ url: sim.origin, tls: { mode: 'pin', sha256: sim.thumbprint } }),
    credentials: { username: sim.username, password: async () => sim.password },
    endpoint: 'vsphere://bench',
  });
  await adapter.connect();
  const machines = (await collectInventory(adapter.site, adapter.discover({ kinds: ['machine'] }))).machines;
  if (machines.length !== VMS) throw new Error(`expected ${VMS} VMs, found ${machines.length}`);
  const point = async (n: number) => {
    const members = machines.slice(0, n).map((m) => ({ adapter, machineId: m.id, name: m.name }));
    const started = performance.now();
    const p = await takeGroupPoint({ members, consistency: 'crash' });
    const wall = performance.now() - started;
    for (const m of p.members) await adapter.snapshots.delete(m.snapshot);
    return { window: p.statement.skewMs, wall };
  };
  const single = { window: [] as number[], wall: [] as number[] };
  const group = { window: [] as number[], wall: [] as number[] };
  for (let round = 0; round < REPEAT; round++) {
    for (const [n, into] of round % 2
      ? ([
          [VMS, group],
          [1, single],
        ] as const)
      : ([
          [1, single],
          [VMS, group],
        ] as const)) {
      const r = await point(n);
      into.window.push(r.window);
      into.wall.push(r.wall);
    }
  }

  // Disk reads: one big flat extent, PUT once.
  const disk = machines[0]!.disks[0]!;
  const flat = disk.path!.replace(/\.vmdk$/, '-flat.vmdk');
  const size = MIB * 1024 * 1024;
  await putDatastoreFile(sim, flat, randomBytes(size));
  const ds = /^\[([^\]]+)\]\s*(.+)$/.exec(flat)!;
  const url = `${sim.origin}/folder/${ds[2]!.split('/').map(encodeURIComponent).join('/')}?dcPath=DC0&dsName=${encodeURIComponent(ds[1]!)}`;
  const readTimes = { drkit: [] as number[], curl: [] as number[] };
  const transport = createHttpTransport({ url: sim.origin, tls: { mode: 'pin', sha256: sim.thumbprint } });
  await withAdminSession(sim, async (_client, cookie) => {
    const drkitRead = async () => {
      const source = await openVSphereDisk({
        transport,
        cookie: () => cookie,
        relogin: async () => {},
        diskId: 'bench',
        sizeBytes: size,
        fileName: `[${ds[1]}] ${ds[2]!.replace(/-flat\.vmdk$/, '.vmdk')}`,
        datacenter: 'DC0',
      });
      const started = performance.now();
      // As the replication engine reads this source: the size and count the source prefers
      // (else the engine's defaults), into chunk buffers it recycles once their data is written.
      const chunk = source.preferredReads?.bytes ?? DEFAULT_CHUNK_BYTES;
      let next = 0;
      let bytes = 0;
      await Promise.all(
        Array.from({ length: source.preferredReads?.inFlight ?? DEFAULT_READ_AHEAD }, async () => {
          const into = Buffer.allocUnsafeSlow(chunk);
          while (next < size) {
            const offset = next;
            next += chunk;
            const length = Math.min(chunk, size - offset);
            const got = (await source.read({ offset, length }, length === chunk ? { into } : {})).length;
            bytes += got;
          }
        }),
      );
      if (bytes !== size) throw new Error(`drkit read ${bytes} of ${size}`);
      return performance.now() - started;
    };
    const curlRead = async () => {
      const started = performance.now();
      const { stdout } = await promisify(execFile)('curl', [
        '-k',
        '-s',
        '-o',
        '/dev/null',
        '-w',
        '%{size_download}',
        '-H',
        `Cookie: ${cookie}`,
        url,
      ]);
      if (Number(stdout) !== size) throw new Error(`curl read ${stdout} of ${size}`);
      return performance.now() - started;
    };
    for (let round = 0; round < REPEAT; round++) {
      for (const who of round % 2 ? (['curl', 'drkit'] as const) : (['drkit', 'curl'] as const))
        readTimes[who].push(await (who === 'drkit' ? drkitRead() : curlRead()));
    }
  });
  await transport.close();
  await adapter.close();

  const mibps = (ms: number) => (MIB / (ms / 1000)).toFixed(0);
  console.log(`snapshot fan-out, CreateSnapshot_Task held ${DELAY} ms, ${REPEAT} rounds (medians)`);
  console.log(`  1 VM     window ${median(single.window).toFixed(0)} ms, wall ${median(single.wall).toFixed(0)} ms`);
  console.log(`  ${VMS} VMs   window ${median(group.window).toFixed(0)} ms, wall ${median(group.wall).toFixed(0)} ms`);
  console.log(
    `  ratio    window ${(median(group.window) / median(single.window)).toFixed(2)}x, wall ${(median(group.wall) / median(single.wall)).toFixed(2)}x  (goal: window ≤ 1.5x)`,
  );
  console.log(`disk read over /folder, ${MIB} MiB flat extent, ${REPEAT} rounds (medians)`);
  console.log(`  drkit    ${median(readTimes.drkit).toFixed(0)} ms  (${mibps(median(readTimes.drkit))} MiB/s)`);
  console.log(`  curl     ${median(readTimes.curl).toFixed(0)} ms  (${mibps(median(readTimes.curl))} MiB/s)`);
  console.log(
    `  ratio    ${(median(readTimes.curl) / median(readTimes.drkit)).toFixed(2)}x curl's throughput  (goal: ≥ 0.8)`,
  );
} finally {
  await sim.stop();
}
