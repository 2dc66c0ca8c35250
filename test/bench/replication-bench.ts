/**
 * Replication benchmark (issue 3), local dir → local dir, one run:
 *   pnpm bench:replication [-- --gib 2 --repeat 3]
 * - delta: 1% of the 4 KiB blocks of a 2 GiB disk changed; wall time; bytes written to the
 *   store (replica data + undo journal) against the changed bytes;
 * - resync by checksums: MB/s against `openssl dgst -sha256` over the same file;
 * - restore of the newest point and of one 10 runs back, against `cp` of the same image.
 * Medians of --repeat runs, each side alternating. Restores skip their final fsync here,
 * as cp does not sync either.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  diskKey,
  openDirStore,
  replicateDisk,
  type DiskSource,
  type DirStore,
  type Extent,
  type PointDisk,
} from '@drkit/core';
import { median, numberArg } from './bench-args.js';

const SIZE = numberArg('gib', 2) * 1024 ** 3;
const REPEAT = numberArg('repeat', 3);
const BLOCK = 4096;
const time = async (fn: () => Promise<unknown> | unknown) => {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
};

const work = await mkdtemp(join(tmpdir(), 'drkit-bench-'));
const image = join(work, 'disk.img');
const storeDir = join(work, 'store');

/** The source: the image file itself, with the changed extents the bench wrote. */
function fileSource(changed: Extent[] | undefined, token: string): DiskSource {
  // One open, shared by the engine's concurrent read-ahead.
  const handle = open(image, 'r');
  return {
    diskId: 'disk',
    sizeBytes: SIZE,
    async *allocated() {
      yield { offset: 0, length: SIZE };
    },
    async changedSince() {
      if (!changed) return { kind: 'unknown', reason: 'bench resync', nextToken: token };
      return {
        kind: 'extents',
        nextToken: token,
        extents: (async function* () {
          yield* changed;
        })(),
      };
    },
    async read(e) {
      const buf = Buffer.from(new ArrayBuffer(e.length));
      await (await handle).read(buf, 0, e.length, e.offset);
      return buf;
    },
    async close() {
      await (await handle).close();
    },
  };
}

const key = diskKey('bench', 'disk');
let seq = 0;
async function replicate(
  store: DirStore,
  source: DiskSource,
  forceResync = false,
): Promise<{ disk: PointDisk; seconds: number; pointId: string }> {
  const run = await store.beginRun({ diskKeys: [key] });
  let disk!: PointDisk;
  const seconds = await time(async () => {
    disk = await replicateDisk(run, {
      key,
      diskId: 'disk',
      name: 'disk',
      source,
      changeToken: `t${++seq}`,
      forceResync,
    });
  });
  const point = await run.commit({
    consistency: { requested: 'crash', achieved: 'crash', basis: 'independent', skewMs: 0, frozenMs: 0 },
    members: [
      {
        machineId: 'bench',
        name: 'bench',
        adapter: 'file',
        snapshotId: `s${seq}`,
        requested: 'crash',
        achieved: 'crash',
        warnings: [],
        disks: [disk],
      },
    ],
    warnings: [],
  });
  await source.close();
  return { disk, seconds, pointId: point.id };
}

async function changeOnePercent(): Promise<Extent[]> {
  const blocks = SIZE / BLOCK;
  const picked = new Set<number>();
  while (picked.size < blocks / 100) picked.add(randomInt(0, blocks));
  const f = await open(image, 'r+');
  const extents: Extent[] = [];
  for (const b of picked) {
    await f.write(randomBytes(BLOCK), 0, BLOCK, b * BLOCK);
    extents.push({ offset: b * BLOCK, length: BLOCK });
  }
  await f.close();
  return extents;
}

console.error(`bench: writing a ${SIZE / 1024 ** 3} GiB disk image in ${work}`);
{
  const f = await open(image, 'w');
  const chunk = 64 << 20;
  for (let o = 0; o < SIZE; o += chunk)
    await f.write(randomBytes(Math.min(chunk, SIZE - o)), 0, Math.min(chunk, SIZE - o), o);
  await f.close();
}
const store = await openDirStore(storeDir);
const initial = await replicate(store, fileSource(undefined, 't0'));
console.error(`initial copy: ${(SIZE / 1e6 / initial.seconds).toFixed(0)} MB/s`);

// Deltas: 12 runs, so a point 10 runs back exists for the restore.
const deltas: Array<{ seconds: number; changed: number; written: number; undo: number }> = [];
for (let i = 0; i < 12; i++) {
  const changed = await changeOnePercent();
  const r = await replicate(store, fileSource(changed, ''));
  const points = await store.listPoints();
  const previous = points[points.length - 2]!;
  const undo = (await stat(join(storeDir, 'journals', previous.id, `${key}.undo`))).size;
  deltas.push({ seconds: r.seconds, changed: changed.length * BLOCK, written: r.disk.bytesWritten, undo });
}

// Resync vs openssl, alternating.
const resync: number[] = [];
const openssl: number[] = [];
for (let i = 0; i < REPEAT; i++) {
  openssl.push(await time(() => execFileSync('openssl', ['dgst', '-sha256', image])));
  resync.push((await replicate(store, fileSource(undefined, ''), true)).seconds);
}

// Restore newest and 10 runs back vs cp, alternating.
const points = await store.listPoints();
const newest = points.at(-1)!;
const tenBack = points.at(-11)!;
const out = join(work, 'out');
const replica = join(storeDir, 'disks', key, 'replica.img');
const cp: number[] = [];
const restoreNewest: number[] = [];
const restoreOld: number[] = [];
// Each side writes over its own image of the round before, as the kernel then reuses the
// pages it just freed. On this VM (Firecracker, free page reporting) memory freed a few seconds
// earlier has gone back to the host, and touching it again costs ~3.5 s per GiB: a `cp` of
// 2 GiB measured 0.85 s right after a delete and 7-9 s after a 10 s pause. Fresh files per
// round would time that, not the copies.
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
for (let i = 0; i < REPEAT; i++) {
  cp.push(await time(() => execFileSync('cp', [replica, join(out, 'cp.img')])));
  restoreNewest.push(await time(() => store.restore(newest.id, join(out, 'new'), { durable: false })));
  restoreOld.push(await time(() => store.restore(tenBack.id, join(out, 'old'), { durable: false })));
}
await store.close();

const mbps = (s: number) => SIZE / 1e6 / s;
const d = deltas.slice(2); // the first runs warm the page cache
const result = {
  date: new Date().toISOString(),
  sizeBytes: SIZE,
  delta: {
    medianSeconds: median(d.map((x) => x.seconds)),
    changedBytes: d[0]!.changed,
    writtenDataBytes: median(d.map((x) => x.written)),
    undoBytes: median(d.map((x) => x.undo)),
    writtenPerChanged: median(d.map((x) => (x.written + x.undo) / x.changed)),
  },
  resync: {
    medianMBps: mbps(median(resync)),
    opensslMBps: mbps(median(openssl)),
    ratio: median(openssl) / median(resync),
  },
  restore: {
    newestMBps: mbps(median(restoreNewest)),
    tenBackMBps: mbps(median(restoreOld)),
    cpMBps: mbps(median(cp)),
    newestRatio: median(cp) / median(restoreNewest),
    tenBackRatio: median(cp) / median(restoreOld),
  },
};
await mkdir(new URL('results/', import.meta.url), { recursive: true });
await writeFile(new URL('results/replication.json', import.meta.url), JSON.stringify(result, null, 2));
await rm(work, { recursive: true, force: true });
console.log(JSON.stringify(result, null, 2));
