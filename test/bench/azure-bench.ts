/**
 * The Azure target as a user runs it: whole `drkit replicate` processes (built JavaScript,
 * the CLI's defaults) into Azurite on loopback.
 *
 * 1. Initial copy of a disk of `gib` GiB, half of it zeros (1 MiB of data, 1 MiB of zeros):
 *    drkit's wall time against a plain loop of parallel `uploadPages` calls over the same
 *    non-zero data (8 in flight, reading each 1 MiB data range from the image; in this
 *    process: no process start, no hashing, no map, no holes read) into a fresh page blob,
 *    and beside it the same loop sending one buffer from memory (the wire alone) — medians
 *    of `repeat`, the order reversed every other round, a `sync` before each side. Goal ≤ 1.2×.
 * 2. Delta with `percent`% of the 4 KiB blocks changed at random: the bytes drkit sends to
 *    Azurite, counted at a loopback HTTP proxy — bodies (data, map log, manifest) and, apart,
 *    request lines and headers — as a ratio to the changed bytes. Goal ≤ 1.1×.
 *
 * With `--own-core 1` Azurite runs on core 0 and this process — the loop, and drkit as its
 * child — on core 1, as a storage service runs on hardware of its own: on a shared pair of
 * cores, whatever the client spends beside its uploads (drkit reads and hashes the whole disk;
 * the loop reads only the data) slows the emulator's one busy thread as well.
 *
 *   pnpm bench:azure [--gib 1] [--repeat 3] [--percent 1] [--own-core 0]
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { writeTracked } from '@drkit/core';
import { type Azurite, startAzurite } from '../harness/azurite.js';
import { startHttpFaultProxy } from '../harness/http-fault-proxy.js';
import { median, numberArg } from './bench-args.js';
import { cloningVolume } from './cloning-volume.js';

const DRKIT = join(dirname(fileURLToPath(import.meta.url)), '../../packages/cli/bin/drkit.js');
const GIB = numberArg('gib', 1);
const REPEAT = numberArg('repeat', 3);
const PERCENT = numberArg('percent', 1);
const OWN_CORE = numberArg('own-core', 0) === 1;
const MiB = 2 ** 20;
const size = GIB * 1024 * MiB;

/** -a: every thread of the process (Azurite's I/O and GC threads stay on its core too). */
const pin = (pid: number | undefined, core: number) =>
  OWN_CORE && promisify(execFile)('taskset', ['-a', '-p', '-c', String(core), String(pid)]);
/**
 * An emulator of its own for each timed side: one kept across rounds holds every earlier
 * side's blobs in its heap (its metadata is an in-memory database), and its major collections
 * (up to 1.5 CPU-s on its helper threads, measured) then land on whichever side is running.
 */
const freshAzurite = async () => {
  const a = await startAzurite();
  await pin(a.pid(), 0);
  return a;
};
await pin(process.pid, 1);
let azurite: Azurite | undefined;
const volume = await cloningVolume(3 * GIB);
const site = await mkdtemp(join(volume?.dir ?? tmpdir(), 'drkit-azbench-site-'));
process.stderr.write(
  volume
    ? 'source on an xfs loop volume: the reference snapshot is a clone, as cheap as a platform snapshot\n'
    : 'not root: the source stays in the temp folder, where the reference snapshot copies the image (drkit pays that)\n',
);
try {
  await mkdir(join(site, 'vm'));
  const file = await open(join(site, 'vm', 'os.img'), 'w');
  const dataRanges: number[] = [];
  for (let o = 0; o < size; o += 2 * MiB) {
    await file.write(randomBytes(MiB), 0, MiB, o);
    dataRanges.push(o);
  }
  await file.truncate(size);
  await file.close();

  const run = async (args: string[]) => {
    const started = performance.now();
    await promisify(execFile)(process.execPath, [DRKIT, ...args], { maxBuffer: 64 << 20 });
    return performance.now() - started;
  };
  const auth = (a: Azurite) => ['--connection-string-file', join(a.secrets, 'connection-string')];

  // The peer: a plain loop of parallel `uploadPages` calls over the disk's non-zero ranges,
  // 8 in flight, in this process (no process start, no hashing, no map, and it knows where
  // the data is: it never reads a hole). `disk` reads each range from the image, as a script
  // uploading the disk would; `memory` sends one buffer over and over — the wire alone.
  const peer = async (a: Azurite, from: 'disk' | 'memory') => {
    const credential = new StorageSharedKeyCredential(a.account, a.key);
    const c = new ContainerClient(`${a.endpoint}/peer`, credential);
    const image = from === 'disk' ? await open(join(site, 'vm', 'os.img'), 'r') : undefined;
    const started = performance.now();
    try {
      await c.create();
      const blob = c.getPageBlobClient('disk.vhd');
      await blob.create(size + 512);
      const same = randomBytes(MiB);
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          const buf = image ? Buffer.allocUnsafe(MiB) : same;
          while (next < dataRanges.length) {
            const offset = dataRanges[next++]!;
            if (image) await image.read(buf, 0, MiB, offset);
            await blob.uploadPages(buf, offset, MiB);
          }
        }),
      );
      return performance.now() - started;
    } finally {
      await image?.close();
    }
  };

  const initial = { drkit: [] as number[], peer: [] as number[], memory: [] as number[] };
  const sides = {
    drkit: (a: Azurite) => run(['replicate', `file://${site}`, '--target', `azure://${a.account}/init/s`, ...auth(a)]),
    peer: (a: Azurite) => peer(a, 'disk'),
    memory: (a: Azurite) => peer(a, 'memory'),
  };
  const order = ['drkit', 'peer', 'memory'] as const;
  for (let i = 0; i < REPEAT; i++) {
    for (const who of i % 2 ? [...order].reverse() : order) {
      const a = await freshAzurite();
      try {
        // Each side starts with nothing left to write back: the half gigabyte of extents the
        // side before wrote would otherwise be flushed during (and charged to) this one.
        await promisify(execFile)('sync');
        initial[who].push(await sides[who](a));
      } finally {
        await a.stop();
      }
    }
    process.stderr.write(
      `initial ${i + 1}: drkit ${initial.drkit.at(-1)!.toFixed(0)} ms, uploadPages loop ${initial.peer.at(-1)!.toFixed(0)} ms (from memory ${initial.memory.at(-1)!.toFixed(0)} ms)\n`,
    );
  }

  azurite = await freshAzurite();
  const proxy = await startHttpFaultProxy(azurite.endpoint);
  const delta = { body: [] as number[], total: [] as number[], changed: [] as number[], requests: [] as number[] };
  try {
    const keyFile = join(azurite.secrets, 'key');
    const target = `azure://${azurite.account}/delta/s`;
    await run(['replicate', `file://${site}`, '--target', target, ...auth(azurite)]);
    for (let i = 0; i < REPEAT; i++) {
      const blocks = new Set<number>();
      const want = Math.round((size / 4096) * (PERCENT / 100));
      while (blocks.size < want) blocks.add(randomInt(0, size / 4096));
      await writeTracked(
        join(site, 'vm'),
        'os',
        [...blocks].map((b) => ({ offset: b * 4096, data: randomBytes(4096) })),
      );
      proxy.resetCounters();
      await run([
        'replicate',
        `file://${site}`,
        '--target',
        target,
        '--account-key-file',
        keyFile,
        '--blob-endpoint',
        `${proxy.origin}/${azurite.account}`,
      ]);
      const changed = blocks.size * 4096;
      delta.changed.push(changed);
      delta.body.push(proxy.bodyBytes() / changed);
      delta.total.push((proxy.bodyBytes() + proxy.headerBytes()) / changed);
      delta.requests.push(proxy.requests.length);
      process.stderr.write(
        `delta ${i + 1}: ${blocks.size} blocks changed, sent ${proxy.bodyBytes()} body bytes + ${proxy.headerBytes()} header bytes in ${proxy.requests.length} requests\n`,
      );
    }
  } finally {
    await proxy.close();
  }

  const result = {
    gib: GIB,
    repeat: REPEAT,
    cores: OWN_CORE ? 'Azurite on core 0, the loop and drkit on core 1' : 'shared',
    initial: {
      drkitMs: median(initial.drkit),
      uploadPagesLoopMs: median(initial.peer),
      ratio: median(initial.drkit) / median(initial.peer),
      roundRatios: initial.drkit.map((d, i) => Math.round((d / initial.peer[i]!) * 100) / 100),
      goal: '<= 1.2',
      loopFromMemoryMs: median(initial.memory),
      ratioToLoopFromMemory: median(initial.drkit) / median(initial.memory),
    },
    delta: {
      percent: PERCENT,
      changedBytes: median(delta.changed),
      bodyRatio: median(delta.body),
      withHeadersRatio: median(delta.total),
      requests: median(delta.requests),
      goal: '<= 1.1 (bodies)',
    },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  const results = join(dirname(fileURLToPath(import.meta.url)), 'results');
  await mkdir(results, { recursive: true });
  await writeFile(
    join(results, OWN_CORE ? 'azure-own-core.json' : 'azure.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
} finally {
  await azurite?.stop();
  await rm(site, { recursive: true, force: true });
  await volume?.teardown();
}
