// Times restore's parts apart (cp, verify, both side by side) and restore itself on a 2 GiB
// point, each after a sync: the probe behind the restore design. pnpm tsx test/bench/restore-probe.ts
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diskKey, openDirStore, replicateDisk, type DiskSource } from '@drkit/core';
const SIZE = 2 * 1024 ** 3;
const execFileAsync = promisify(execFile);
const work = await mkdtemp(join(tmpdir(), 'drkit-probe-'));
const image = join(work, 'disk.img');
const f = await open(image, 'w');
for (let o = 0; o < SIZE; o += 64 << 20) await f.write(randomBytes(64 << 20), 0, 64 << 20, o);
await f.close();
const h = open(image, 'r');
const source: DiskSource = {
  diskId: 'd',
  sizeBytes: SIZE,
  async *allocated() {
    yield { offset: 0, length: SIZE };
  },
  async changedSince() {
    return { kind: 'unknown', reason: 'x' };
  },
  async read(e) {
    const b = Buffer.allocUnsafeSlow(e.length);
    await (await h).read(b, 0, e.length, e.offset);
    return b;
  },
  async close() {},
};
const store = await openDirStore(join(work, 's'));
const key = diskKey('m', 'd');
const run = await store.beginRun({ diskKeys: [key] });
const disk = await replicateDisk(run, { key, diskId: 'd', name: 'd', source, changeToken: 't' });
const point = await run.commit({
  consistency: { requested: 'crash', achieved: 'crash', basis: 'independent', skewMs: 0, frozenMs: 0 },
  members: [
    {
      machineId: 'm',
      name: 'm',
      adapter: 'file',
      snapshotId: 's',
      requested: 'crash',
      achieved: 'crash',
      warnings: [],
      disks: [disk],
    },
  ],
  warnings: [],
});
const replica = join(work, 's', 'disks', key, 'replica.img');
const times = new Map<string, number[]>();
const t = async (name: string, fn: () => Promise<unknown> | unknown) => {
  execFileSync('sync'); // each timed copy starts without the last one's dirty pages
  const s = performance.now();
  await fn();
  times.set(name, [...(times.get(name) ?? []), (performance.now() - s) / 1000]);
};
for (let i = 0; i < 7; i++) {
  await t('cp         ', () => execFileSync('cp', [replica, join(work, 'cp.img')]));
  await rm(join(work, 'cp.img'));
  await t('verify     ', () => store.verify(point.id));
  // restore's two halves side by side, as restore runs them
  await t('cp ∥ verify', () =>
    Promise.all([
      execFileAsync('cp', ['--reflink=auto', '--sparse=auto', '--', replica, join(work, 'pv.img')]),
      store.verify(point.id),
    ]),
  );
  await rm(join(work, 'pv.img'));
  await t('restore    ', () => store.restore(point.id, join(work, 'out'), { durable: false }));
  await rm(join(work, 'out'), { recursive: true });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [name, xs] of times)
  console.log(name, median(xs).toFixed(3), 's median of', xs.length, ' ', xs.map((x) => x.toFixed(2)).join(' '));
await store.close();
await rm(work, { recursive: true, force: true });
