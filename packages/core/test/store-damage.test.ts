import { cp, mkdtemp, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DrkitError,
  createReferenceAdapter,
  openDirStore,
  replicateGroup,
  replicaKey,
  replicateDisk,
  type PointManifest,
} from '../src/index.js';
import { makeSite, randomWrites } from './reference-site-helper.js';

const MiB = 1024 * 1024;

/**
 * The store-damage matrix: every kind of file in a dir: store, damaged every way that
 * applies. For each: verify names what is damaged; every point verify passes restores
 * byte-identical and every other refuses to restore; replicate refuses, or heals (resync)
 * into a point that verifies — never commits one that does not.
 */
interface Built {
  site: string;
  store: string;
  points: PointManifest[];
  /** Each point's source image. */
  truth: Map<string, Buffer>;
  key: string;
}

async function build(): Promise<Built> {
  const site = await makeSite({ vm: { disks: { os: 2 * MiB } } });
  const store = join(await mkdtemp(join(tmpdir(), 'drkit-damage-')), 'store');
  const adapter = createReferenceAdapter({ root: site });
  await adapter.connect();
  const truth = new Map<string, Buffer>();
  const points: PointManifest[] = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) await randomWrites(site, 'vm', 'os', 2 * MiB, 60);
    const s = await openDirStore(store);
    const { point } = await replicateGroup({
      members: [{ adapter, machineId: 'vm', name: 'vm' }],
      consistency: 'crash',
      store: s,
    });
    await s.close();
    points.push(point);
    truth.set(point.id, await readFile(join(site, 'vm', 'os.img')));
  }
  await cp(site, `${site}.pristine`, { recursive: true });
  return { site, store, points, truth, key: replicaKey(adapter, 'vm', 'vm/os') };
}

type Damage = 'flip' | 'truncate' | 'delete' | 'garbage';

async function damage(path: string, how: Damage): Promise<void> {
  if (how === 'delete') return rm(path, { recursive: true });
  if (how === 'garbage') return writeFile(path, '{"format": "drkit-point/1", not json');
  const { size } = await stat(path);
  if (how === 'truncate') return truncate(path, Math.floor(size / 2));
  const f = await open(path, 'r+');
  const at = Math.floor(size / 2);
  const b = Buffer.alloc(1);
  await f.read(b, 0, 1, at);
  b[0] = b[0]! ^ 0x01;
  await f.write(b, 0, 1, at);
  await f.close();
}

/**
 * Copies the built store, and puts the site back as it was at the third point (same path:
 * replicas are keyed by site), so each case starts from the same three points.
 */
async function fresh(b: Built): Promise<Built> {
  const dir = await mkdtemp(join(tmpdir(), 'drkit-case-'));
  await cp(b.store, join(dir, 'store'), { recursive: true });
  await rm(b.site, { recursive: true });
  await cp(`${b.site}.pristine`, b.site, { recursive: true });
  return { ...b, store: join(dir, 'store') };
}

async function check(b: Built, expectDamaged: (id: string) => boolean) {
  const s = await openDirStore(b.store);
  const verdicts = await s.verify();
  const findings = await s.findings();
  const bad = verdicts.filter((v) => !v.ok).map((v) => v.pointId);
  expect(bad.length + findings.length, 'verify found nothing').toBeGreaterThan(0);
  for (const p of b.points)
    if (expectDamaged(p.id)) expect(bad, `point ${p.seq} should be named damaged`).toContain(p.id);
  for (const p of b.points) {
    const out = await mkdtemp(join(tmpdir(), 'drkit-out-'));
    if (verdicts.find((v) => v.pointId === p.id)?.ok) {
      const result = await s.restore(p.id, out);
      expect(
        (await readFile(result.files[0]!.path)).equals(b.truth.get(p.id)!),
        `point ${p.seq} restores its bytes`,
      ).toBe(true);
    } else {
      const refused = await s.restore(p.id, out).catch((e: unknown) => e);
      expect(DrkitError.isInstance(refused), `restore of damaged point ${p.seq} must fail`).toBe(true);
      expect(await readdir(join(out, 'vm')).catch(() => [])).toEqual([]);
    }
  }
  await s.close();
}

/** A replicate after the damage: refused (integrity), or a committed point that verifies. */
async function replicateAfter(b: Built, resync: boolean): Promise<'refused' | 'committed'> {
  const adapter = createReferenceAdapter({ root: b.site });
  await adapter.connect();
  await randomWrites(b.site, 'vm', 'os', 2 * MiB, 10);
  const s = await openDirStore(b.store);
  try {
    const { point } = await replicateGroup({
      members: [{ adapter, machineId: 'vm', name: 'vm' }],
      consistency: 'crash',
      store: s,
      resync,
    });
    const [verdict] = await s.verify(point.id);
    expect(verdict!.ok, `replicate committed point ${point.seq} that fails verify`).toBe(true);
    const out = await mkdtemp(join(tmpdir(), 'drkit-out-'));
    const result = await s.restore(point.id, out);
    expect((await readFile(result.files[0]!.path)).equals(await readFile(join(b.site, 'vm', 'os.img')))).toBe(true);
    return 'committed';
  } catch (error) {
    if (DrkitError.isInstance(error) && error.code === 'integrity') return 'refused';
    throw error;
  } finally {
    await s.close();
  }
}

describe('a damaged dir: store', () => {
  let built: Built;
  beforeAll(async () => {
    built = await build();
  });

  const replicaFiles = { replica: 'replica.img', map: 'blocks.map', crc: 'blocks.crc' } as const;
  for (const [kind, file] of Object.entries(replicaFiles)) {
    for (const how of ['flip', 'truncate', 'delete'] as Damage[]) {
      it(`${kind} ${how}: verify names the newest point, a delta refuses, a resync heals`, async () => {
        const b = await fresh(built);
        await damage(join(b.store, 'disks', b.key, file), how);
        await check(b, (id) => id === b.points[2]!.id);
        expect(await replicateAfter(b, false)).toBe('refused');
        expect(await replicateAfter(b, true)).toBe('committed');
      });
    }
  }

  for (const how of ['flip', 'truncate', 'delete'] as Damage[]) {
    it(`the oldest point's undo journal ${how}: that point is named, the newer ones restore, replication goes on`, async () => {
      const b = await fresh(built);
      await damage(join(b.store, 'journals', b.points[0]!.id, `${b.key}.undo`), how);
      await check(b, (id) => id === b.points[0]!.id);
      expect(await replicateAfter(b, false)).toBe('committed');
    });
  }

  for (const how of ['flip', 'truncate', 'delete', 'garbage'] as Damage[]) {
    it(`the middle point's manifest ${how}: that point is named, the others restore`, async () => {
      const b = await fresh(built);
      const p = b.points[1]!;
      await damage(join(b.store, 'points', `${String(p.seq).padStart(8, '0')}-${p.id}.json`), how);
      await check(b, (id) => id === p.id);
      expect(await replicateAfter(b, false)).toBe('committed');
    });
    it(`the newest point's manifest ${how}: named; replicate refuses to build on it`, async () => {
      const b = await fresh(built);
      const p = b.points[2]!;
      await damage(join(b.store, 'points', `${String(p.seq).padStart(8, '0')}-${p.id}.json`), how);
      const s = await openDirStore(b.store);
      const named = [
        ...(await s.verify()).filter((v) => !v.ok).map((v) => v.pointId),
        ...(await s.findings()).map((f) => f.pointId),
      ];
      await s.close();
      expect(named).toContain(p.id);
      expect(await replicateAfter(b, false)).toBe('refused');
    });
  }

  for (const how of ['flip', 'truncate', 'delete', 'garbage'] as Damage[]) {
    it(`store.json ${how}: every point still verifies and restores; the next run rewrites it`, async () => {
      const b = await fresh(built);
      await damage(join(b.store, 'store.json'), how);
      const s = await openDirStore(b.store);
      expect((await s.findings()).map((f) => f.file)).toEqual([join(b.store, 'store.json')]);
      expect((await s.verify()).every((v) => v.ok)).toBe(true);
      await s.close();
      expect(await replicateAfter(b, false)).toBe('committed');
      const again = await openDirStore(b.store);
      expect(await again.findings()).toEqual([]);
      await again.close();
    });
  }

  for (const how of ['flip', 'truncate', 'garbage'] as Damage[]) {
    it(`the intent of a run cut short (run.json) ${how}: named; replicate refuses rather than guess`, async () => {
      const b = await fresh(built);
      const adapter = createReferenceAdapter({ root: b.site });
      await adapter.connect();
      await randomWrites(b.site, 'vm', 'os', 2 * MiB, 40);
      const snap = await adapter.snapshots.take(
        await adapter.snapshots.prepare({ machineId: 'vm', consistency: 'crash', tag: 'drkit-test' }),
      );
      const source = await adapter.replication.openDisk(snap.id, 'vm', 'vm/os');
      const s = await openDirStore(b.store);
      const run = await s.beginRun({ diskKeys: [b.key] });
      await replicateDisk(run, {
        key: b.key,
        diskId: 'vm/os',
        name: 'os',
        source,
        changeToken: snap.changeTokens['vm/os'],
      });
      await run.detach?.();
      await source.close();
      await s.close(); // the process "dies" here
      await damage(join(b.store, 'run.json'), how);
      const after = await openDirStore(b.store);
      expect((await after.findings()).map((f) => f.file)).toContain(join(b.store, 'run.json'));
      await after.close();
      expect(await replicateAfter(b, false)).toBe('refused');
    });
  }

  it('hostile ids in a manifest never become paths: prune removes nothing outside the store', async () => {
    const b = await fresh(built);
    const victim = join(b.store, '..', 'victim');
    await writeFile(victim, 'keep me');
    const p = b.points[0]!;
    const path = join(b.store, 'points', `${String(p.seq).padStart(8, '0')}-${p.id}.json`);
    const hostile = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    delete hostile.seal;
    await writeFile(path, JSON.stringify({ ...hostile, id: '../../victim' }));
    await writeFile(join(b.store, 'points', '00000000-...json'), JSON.stringify({ ...hostile, id: '..', seq: 0 }));
    const s = await openDirStore(b.store);
    await s.prune({ keep: 1 });
    expect(await readFile(victim, 'utf8')).toBe('keep me');
    expect((await s.findings()).some((f) => f.pointId === p.id && /differ from its file name/.test(f.problem))).toBe(
      true,
    );
    await s.close();
  });
});
