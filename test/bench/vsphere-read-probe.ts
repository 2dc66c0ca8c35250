// Times reads of one flat extent over /folder from the simulator in several shapes, beside
// curl: the probe behind the vSphere disk source's read design.
//   pnpm tsx test/bench/vsphere-read-probe.ts [-- --mib 256]
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { get } from 'node:https';
import { promisify } from 'node:util';
import { createHttpTransport } from '@drkit/http';
import { openVSphereDisk } from '@drkit/vsphere';
import { startVcsim } from '../harness/vcsim.js';
import { putDatastoreFile, withAdminSession } from '../harness/vsphere-admin.js';
import { median, numberArg } from './bench-args.js';

const MIB = numberArg('mib', 256);
const size = MIB << 20;
const sim = await startVcsim({ clusters: 1, hostsPerCluster: 1, standaloneHosts: 0, vmsPerPool: 1 });
try {
  const flat = '[LocalDS_0] probe/probe-flat.vmdk';
  await putDatastoreFile(sim, flat, randomBytes(size));
  const path = '/folder/probe/probe-flat.vmdk?dcPath=DC0&dsName=LocalDS_0';
  await withAdminSession(sim, async (_client, cookie) => {
    const shapes: Record<string, () => Promise<void>> = {
      curl: async () =>
        void (await promisify(execFile)('curl', [
          '-k',
          '-s',
          '-o',
          '/dev/null',
          '-H',
          `Cookie: ${cookie}`,
          sim.origin + path,
        ])),
      'https.get, whole file': () =>
        new Promise((resolve, reject) => {
          get(sim.origin + path, { headers: { cookie }, rejectUnauthorized: false }, (res) => {
            res.on('data', () => {});
            res.on('end', () => resolve());
          }).on('error', reject);
        }),
    };
    for (const connections of [1, 2, 8]) {
      for (const fresh of [false, true]) {
        shapes[`getInto, ${connections} conn, 4 MiB, ${fresh ? 'fresh' : 'reused'} buffers`] = async () => {
          const transport = createHttpTransport({
            url: sim.origin,
            tls: { mode: 'pin', sha256: sim.thumbprint },
            connections,
          });
          const bufs = Array.from({ length: connections }, () => Buffer.allocUnsafe(4 << 20));
          let next = 0;
          await Promise.all(
            bufs.map(async (reused) => {
              while (next < size) {
                const offset = next;
                next += reused.length;
                const into = fresh ? Buffer.allocUnsafe(reused.length) : reused;
                const r = await transport.getInto!(
                  { path, headers: { cookie, range: `bytes=${offset}-${offset + into.length - 1}` } },
                  into,
                );
                if (!r.filled) throw new Error(`HTTP ${r.status}`);
              }
            }),
          );
          await transport.close();
        };
      }
    }
    for (const [connections, chunkMiB] of [
      [2, 4],
      [8, 4],
    ] as const) {
      shapes[`disk source, ${connections} conn, ${chunkMiB} MiB`] = async () => {
        const transport = createHttpTransport({
          url: sim.origin,
          tls: { mode: 'pin', sha256: sim.thumbprint },
          connections,
        });
        const source = await openVSphereDisk({
          transport,
          cookie: () => cookie,
          relogin: async () => {},
          diskId: 'probe',
          sizeBytes: size,
          fileName: '[LocalDS_0] probe/probe.vmdk',
          datacenter: 'DC0',
        });
        const chunk = chunkMiB << 20;
        let next = 0;
        await Promise.all(
          Array.from({ length: connections }, async () => {
            while (next < size) {
              const offset = next;
              next += chunk;
              await source.read({ offset, length: Math.min(chunk, size - offset) });
            }
          }),
        );
        await source.close();
        await transport.close();
      };
    }
    const times = new Map<string, number[]>();
    for (let round = 0; round < 3; round++) {
      for (const [name, run] of Object.entries(shapes)) {
        const started = performance.now();
        await run();
        times.set(name, [...(times.get(name) ?? []), performance.now() - started]);
      }
    }
    for (const [name, t] of times) console.log(`${name.padEnd(44)} ${(MIB / (median(t) / 1000)).toFixed(0)} MiB/s`);
  });
} finally {
  await sim.stop();
}
