import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createReferenceAdapter, openDirStore, replicateGroup, type ProgressEvent } from '../src/index.js';
import { makeSite } from './reference-site-helper.js';

// The reference adapter with an injected fault: the platform refuses to delete one
// machine's snapshot after the point is committed.
describe('a run whose snapshot cannot be deleted', () => {
  it('keeps the point, and reports the snapshot it left behind — never swallows it', async () => {
    const site = await makeSite({ web: { disks: { os: 256 * 1024 } }, db: { disks: { data: 256 * 1024 } } });
    const adapter = createReferenceAdapter({
      root: site,
      faults: [{ phase: 'delete', machine: 'db', code: 'busy', message: 'the snapshot is in use by a backup' }],
    });
    await adapter.connect();
    const store = await openDirStore(await mkdtemp(join(tmpdir(), 'drkit-store-')));
    const events: ProgressEvent[] = [];
    try {
      const result = await replicateGroup({
        members: ['web', 'db'].map((machineId) => ({ adapter, machineId, name: machineId })),
        consistency: 'crash',
        store,
        onProgress: (e) => events.push(e),
      });
      expect((await store.listPoints()).map((p) => p.id)).toEqual([result.point.id]);
      const db = result.group.members.find((m) => m.member.machineId === 'db')!.snapshot;
      expect(result.leftovers).toEqual([
        { machineId: 'db', snapshotId: db.id, tag: db.tag, reason: expect.stringMatching(/in use by a backup/) },
      ]);
      expect(events.filter((e) => e.kind === 'warning').map((e) => (e as { message: string }).message)).toEqual([
        expect.stringMatching(new RegExp(`^db: snapshot ${db.id} \\(tag ${db.tag}\\) could not be deleted`)),
      ]);
      // The one that could go went; the refused one is still there, findable by its tag.
      expect((await adapter.snapshots.listTagged(db.tag)).map((s) => s.machineId)).toEqual(['db']);
    } finally {
      await store.close();
      await adapter.close();
    }
  });
});
