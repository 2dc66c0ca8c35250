// Run by packaging.test.ts with plain `node` (no loader), in a folder outside the workspace
// where the packed tarballs were installed with npm: every package imports from dist/, and
// the reference adapter replicates, restores and compares, end to end.
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const names = process.argv.slice(2);
for (const name of names) {
  const m = await import(name);
  if (Object.keys(m).length === 0) throw new Error(`${name} exports nothing`);
}
const { createReferenceAdapter, openDirStore, replicateGroup } = await import('@drkit/core');
const site = await mkdtemp(join(tmpdir(), 'drkit-embed-site-'));
await mkdir(join(site, 'web'));
const data = randomBytes(3 << 20);
await writeFile(join(site, 'web', 'os.img'), data);
const adapter = createReferenceAdapter({ root: site });
await adapter.connect();
const store = await openDirStore(await mkdtemp(join(tmpdir(), 'drkit-embed-store-')));
const { point } = await replicateGroup({
  members: [{ adapter, machineId: 'web', name: 'web' }],
  consistency: 'crash',
  store,
});
const out = await mkdtemp(join(tmpdir(), 'drkit-embed-out-'));
const restored = await store.restore(point.id, out);
const [verdict] = await store.verify(point.id);
await store.close();
const same = (await readFile(restored.files[0].path)).equals(data);
process.stdout.write(
  `${JSON.stringify({ imported: names.length, mode: point.members[0].disks[0].mode, verified: verdict.ok, same })}\n`,
);
