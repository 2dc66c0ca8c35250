import { readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDirStore, replicateGroup } from '@drkit/core';
import { createLoopDisks, loopDisksAvailable, type LoopDisks } from '../../../test/harness/loop-disks.js';
import { sshdAvailable, startSshd, type Sshd } from '../../../test/harness/sshd.js';
import { createPhysicalAdapter } from '../src/index.js';
import { SNAPSHOT_DIR } from '../src/snapshot-commands.js';

// What stays on the host between runs: the bases later deltas diff against, and no more.
describe.skipIf(!sshdAvailable() || !loopDisksAvailable())('physical: change bases on the host', () => {
  let sshd: Sshd;
  let loops: LoopDisks;
  beforeAll(async () => {
    [sshd, loops] = await Promise.all([startSshd(), createLoopDisks()]);
  });
  afterAll(async () => {
    await sshd?.stop();
    await loops?.teardown();
  });

  it('keeps the two newest deleted snapshots as bases, so a rolled-back point does not cost the next delta', async () => {
    const adapter = createPhysicalAdapter({
      ssh: {
        host: sshd.host,
        port: sshd.port,
        username: sshd.username,
        privateKey: sshd.clientKey,
        hostKey: { kind: 'known-hosts', file: sshd.knownHostsFile },
      },
      disks: loops.disks.map((d) => d.device),
    });
    await adapter.connect();
    const machineId = adapter.site.instanceId!;
    const dir = await mkdtemp(join(tmpdir(), 'drkit-bases-'));
    const store = await openDirStore(join(dir, 'store'));
    const folder = join(loops.dir, 'pool', 'disks', SNAPSHOT_DIR);
    try {
      const first = await replicateGroup({ members: [{ adapter, machineId }], consistency: 'crash', store });
      const base = first.group.members[0]!.snapshot.id;
      expect(readdirSync(folder).sort()).toEqual([base, `${base}.base`]);

      // Snapshots rolled back (deleted) after it become bases too; only the newest two stay.
      for (const tag of ['drkit-rolled-back-1', 'drkit-rolled-back-2']) {
        const p = await adapter.snapshots.prepare({ machineId, consistency: 'crash', tag });
        const s = await adapter.snapshots.take(p);
        await adapter.snapshots.release(p);
        await adapter.snapshots.delete(s);
        if (tag.endsWith('1')) {
          // One rollback: the store's base is still there, and the next run is a delta.
          writeFileSync(join(loops.disks[0]!.mountpoint, 'after-rollback'), 'x'.repeat(100_000));
          const delta = await replicateGroup({ members: [{ adapter, machineId }], consistency: 'crash', store });
          expect(delta.point.members[0]!.disks.map((d) => d.mode)).toEqual(['delta', 'delta']);
        }
      }
      const left = readdirSync(folder).filter((n) => !n.endsWith('.base'));
      expect(left).toHaveLength(2);
      expect(left.every((n) => readdirSync(folder).includes(`${n}.base`))).toBe(true);
      expect(await adapter.snapshots.listTagged('drkit-')).toEqual([]);
    } finally {
      await store.close();
      await adapter.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
