import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DrkitError, openDirStore, replicateGroup, type ReplicationResult } from '@drkit/core';
import { createLoopDisks, loopDisksAvailable, type LoopDisks } from '../../../test/harness/loop-disks.js';
import { sshdAvailable, startSshd, type Sshd } from '../../../test/harness/sshd.js';
import { startTcpProxy, type TcpProxy } from '../../../test/harness/tcp-proxy.js';
import { createPhysicalAdapter } from '../src/index.js';
import { SNAPSHOT_DIR } from '../src/snapshot-commands.js';

// Nothing lost when links drop: replicate a real loop-device disk over a real sshd through
// a proxy that cuts every connection after a random number of bytes, retry until a run
// lands (each retry resumes the interrupted store run), then restore and compare with the
// source snapshot byte for byte.
describe.skipIf(!sshdAvailable() || !loopDisksAvailable())('physical: links cut mid-replication', () => {
  let sshd: Sshd;
  let loops: LoopDisks;
  let proxy: TcpProxy;
  beforeAll(async () => {
    [sshd, loops] = await Promise.all([startSshd(), createLoopDisks()]);
    proxy = await startTcpProxy(sshd.port);
  });
  afterAll(async () => {
    await proxy?.close();
    await sshd?.stop();
    await loops?.teardown();
  });

  it('resumes after every cut and restores byte-identical to the snapshot', async () => {
    const disk = loops.disks[0]!;
    const adapter = createPhysicalAdapter({
      // Through the proxy the port differs from known_hosts' entry: pin the key instead.
      ssh: {
        host: '127.0.0.1',
        port: proxy.port,
        username: 'root',
        privateKey: sshd.clientKey,
        hostKey: { kind: 'fingerprint', sha256: sshd.fingerprint },
      },
      disks: [disk.device],
    });
    await adapter.connect();
    const [machine] = await (async () => {
      const out = [];
      for await (const item of adapter.discover({ kinds: ['machine'] }))
        if (item.kind === 'machine') out.push(item.machine);
      return out;
    })();
    const dir = await mkdtemp(join(tmpdir(), 'drkit-cut-'));
    const store = await openDirStore(join(dir, 'store'));
    // The cut points of this run, printed with any failure so it can be replayed.
    const budgets: number[] = [];
    const errors: string[] = [];
    const replicateThroughCuts = async (
      cuts: number,
      maxBudget: number,
      resync = false,
      minBudget = 48 << 10,
    ): Promise<ReplicationResult> => {
      for (let attempt = 0; ; attempt++) {
        // Each attempt is cut after minBudget–maxBudget on the wire (past the snapshot and the
        // helper's start, short of the run's total), until `cuts` attempts have failed.
        const budget = attempt < cuts ? randomInt(minBudget, maxBudget) : undefined;
        if (budget) budgets.push(budget);
        proxy.cutAfter(budget);
        try {
          return await replicateGroup({
            members: [{ adapter, machineId: machine!.id, name: 'srv' }],
            consistency: 'app',
            store,
            keepSnapshots: true,
            resync,
          });
        } catch (e) {
          if (!DrkitError.isInstance(e) || !e.retryable) throw e;
          errors.push(`${e.code}: ${e.message}`);
          if (attempt > cuts + 3)
            throw new Error(
              `cuts at ${budgets} bytes: no run landed after ${attempt + 1} attempts: ${errors.join(' | ')}`,
            );
        }
      }
    };
    try {
      // Fill the disk with data worth replicating, then an initial copy through 2 cuts.
      await writeRandomBlocks(join(disk.mountpoint, 'data.bin'), 24 << 20, 0, true);
      execFileSync('sync');
      const first = await replicateThroughCuts(2, 2 << 20);
      // The run that landed continued one a cut interrupted, not a fresh start.
      expect(first.resumed, `cuts at ${budgets} bytes`).toBe(true);
      await expectIdentical(first, store, dir, 'first');

      // Random 4 KiB blocks rewritten, then a delta (extent maps of the two snapshots)
      // through 3 cuts, then again, as a resync by remote checksums.
      for (const [label, resync] of [
        ['delta', false],
        ['resync', true],
      ] as const) {
        await writeRandomBlocks(join(disk.mountpoint, 'data.bin'), 24 << 20, 1600, false);
        execFileSync('sync');
        const cutsBefore = proxy.cuts;
        // A delta moves ~5.5 MiB here, a resync more (hashes of 320 MiB, then the blocks): each
        // cut lands at most 1 MiB, so the run after two cuts still has more left than any
        // budget and is cut too (with 400 blocks, a resumed run once landed under its budget).
        // Cuts land in the data (from 256 KiB on): a cut in the few calls before the first read
        // can fall between two calls, and the next call's fresh connection absorbs it (CI saw
        // a delta land through a cut at 120 KiB).
        const result = await replicateThroughCuts(3, 1 << 20, resync, 256 << 10);
        expect(proxy.cuts - cutsBefore, `cuts at ${budgets} bytes`).toBeGreaterThanOrEqual(3);
        expect(result.resumed, `cuts at ${budgets} bytes`).toBe(true);
        expect(result.point.members[0]!.disks[0]!.mode).toBe(label);
        await expectIdentical(result, store, dir, label);
      }

      // Cut runs left tagged snapshots behind; they are found by tag and removed.
      const leftovers = await adapter.snapshots.listTagged('drkit-');
      expect(leftovers.length).toBeGreaterThan(0);
      for (const s of leftovers) await adapter.snapshots.delete(s);
      expect(await adapter.snapshots.listTagged('drkit-')).toEqual([]);
    } finally {
      await store.close();
      await adapter.close();
      await rm(dir, { recursive: true, force: true });
    }

    async function expectIdentical(result: ReplicationResult, s: typeof store, where: string, label: string) {
      const snap = result.group.members[0]!.snapshot;
      const restored = await s.restore(result.point.id, join(where, `out-${label}`));
      // The host is this machine: the snapshot's image is readable here directly.
      const snapshotImage = join(loops.dir, 'pool', 'disks', SNAPSHOT_DIR, snap.id, `data-${disk.fstype}.img`);
      const [a, b] = await Promise.all([readFile(restored.files[0]!.path), readFile(snapshotImage)]);
      expect(a.length).toBe(b.length);
      expect(a.equals(b), `cuts at ${budgets} bytes: ${label} restore differs from its snapshot`).toBe(true);
    }
  }, 240_000);
});

/** Creates the file with random data, or overwrites `blocks` random 4 KiB blocks of it. */
async function writeRandomBlocks(path: string, size: number, blocks: number, create: boolean): Promise<void> {
  const f = await open(path, create ? 'w' : 'r+');
  try {
    if (create) {
      for (let o = 0; o < size; o += 1 << 20) await f.write(randomBytes(1 << 20), 0, 1 << 20, o);
    } else {
      for (let i = 0; i < blocks; i++) await f.write(randomBytes(4096), 0, 4096, randomInt(size / 4096) * 4096);
    }
    await f.sync();
  } finally {
    await f.close();
  }
}
