import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDirStore, replicateGroup } from '@drkit/core';
import { NO_PWSH_REASON, PWSH, pwshStubHost, type PwshStubHost } from '../../../test/harness/pwsh-stub-host.js';
import { createHyperVAdapter } from '../src/index.js';

// drkit's scripts and block helper in REAL pwsh against the stub Hyper-V host, whose VM DC01
// keeps its disks' data in files (test/harness/pwsh-stub/hyperv-host.ps1): a recovery
// snapshot freezes them and the VM goes on in a differencing disk, as on Hyper-V.
const DC01 = 'd4c3b2a1-6f5e-4b7a-9c8d-5a4b3c2d1e0f';
const MiB = 1 << 20;
if (!PWSH) console.warn(`Hyper-V disk read tests skipped: ${NO_PWSH_REASON}`);

const hosts: PwshStubHost[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) h.dispose();
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe.skipIf(!PWSH)('Hyper-V disk replication', () => {
  it('replicates DC01: each read snapshot becomes an RCT reference point, deltas from its ids, a resync by host-side hashes once RCT lost them; every point restores byte for byte; nothing stays mounted', async () => {
    const host = pwshStubHost('hyperv-host');
    hosts.push(host);
    const os = join(host.disksDir, 'DC01-os.raw');
    const ntds = join(host.disksDir, 'DC01-ntds.raw');
    const first = { os: randomBytes(24 * MiB), ntds: randomBytes(8 * MiB) };
    await writeFile(os, first.os);
    await writeFile(ntds, first.ntds);
    const adapter = createHyperVAdapter({ sshRunner: host.runner, endpoint: 'hyperv://hv01' });
    const dir = await mkdtemp(join(tmpdir(), 'drkit-hyperv-disks-'));
    dirs.push(dir);
    const store = await openDirStore(join(dir, 'store'));
    try {
      expect((await adapter.connect()).replication).toEqual({
        diskRead: true,
        changeTracking: true,
        remoteHashing: true,
      });
      const run1 = await replicateGroup({
        members: [{ adapter, machineId: DC01, name: 'DC01' }],
        consistency: 'app',
        store,
      });
      expect(run1.point.consistency.achieved).toBe('app');
      // Read, the recovery snapshot became an RCT reference point: its ids are the point's change tokens.
      const tokens = (p: typeof run1.point) => p.members[0]!.disks.map((d) => d.changeToken);
      const referencePoints = () =>
        Object.values(host.state().referencePoints ?? {}) as Array<{ disks: Array<{ rctId: string }> }>;
      expect(referencePoints().map((r) => r.disks.map((d) => d.rctId))).toEqual([tokens(run1.point)]);
      // Another backup product's reference point on the same VM: drkit never destroys it.
      const foreign = {
        vmId: DC01.toUpperCase(),
        level: 2,
        disks: [{ virtualDisk: 'Microsoft:other', rctId: 'rctX:0f0f0f0f-0000-4000-8000-000000000000:7' }],
      };
      host.setState({
        ...host.state(),
        referencePoints: { 'Microsoft:FOREIGN': foreign, ...host.state().referencePoints },
      });
      const ours = () =>
        referencePoints()
          .filter((r) => r.disks[0]!.rctId !== foreign.disks[0]!.rctId)
          .map((r) => r.disks.map((d) => d.rctId));
      // After the snapshot is gone the VM's disk is its parent again, holding the live data.
      const second = { os: Buffer.from(first.os), ntds: first.ntds };
      randomBytes(64 * 1024).copy(second.os, 5 * MiB);
      await writeFile(os, second.os);
      const run2 = await replicateGroup({
        members: [{ adapter, machineId: DC01, name: 'DC01' }],
        consistency: 'crash',
        store,
      });
      // RCT said what changed since run 1's ids: 64 KiB on the OS disk, nothing on the other.
      expect(run2.point.members[0]!.disks.map((d) => d.mode)).toEqual(['delta', 'delta']);
      expect(run2.point.members[0]!.disks.map((d) => d.bytesRead)).toEqual([64 * 1024, 0]);
      // Run 2's reference point replaced run 1's, which drkit destroyed once run 2 committed.
      expect(ours()).toEqual([tokens(run2.point)]);
      expect(tokens(run2.point)).not.toEqual(tokens(run1.point));
      // The host forgets the ids (RCT reset, as after an unclean shutdown): the next run resyncs, with the reason.
      const third = { os: Buffer.from(second.os), ntds: Buffer.from(first.ntds) };
      randomBytes(4096).copy(third.ntds, 7 * MiB);
      await writeFile(ntds, third.ntds);
      host.setState({ ...host.state(), rct: {} });
      const run3 = await replicateGroup({
        members: [{ adapter, machineId: DC01, name: 'DC01' }],
        consistency: 'crash',
        store,
      });
      expect(run3.point.members[0]!.disks.map((d) => d.mode)).toEqual(['resync', 'resync']);
      expect(run3.point.members[0]!.disks[0]!.resyncReason).toMatch(
        /RCT cannot say what changed since rctX:.*GetVirtualDiskChanges refused: 32773 \(Invalid parameter\)/,
      );
      expect(ours()).toEqual([tokens(run3.point)]);
      expect(host.state().referencePoints['Microsoft:FOREIGN']).toEqual(foreign);
      for (const [point, expected] of [
        [run1.point, first],
        [run2.point, second],
        [run3.point, third],
      ] as const) {
        const out = await store.restore(point.id, join(dir, `out-${point.id}`));
        expect(out.files.map((f) => f.disk)).toEqual(['SCSI 0:0', 'SCSI 0:1']);
        expect((await readFile(out.files[0]!.path)).equals(expected.os), `${point.id} os`).toBe(true);
        expect((await readFile(out.files[1]!.path)).equals(expected.ntds), `${point.id} ntds`).toBe(true);
      }
      const state = host.state();
      expect(state.mounted).toEqual({});
      expect(state.snapshots).toEqual({});
    } finally {
      await adapter.close();
    }
  }, 240_000); // three runs of real pwsh processes, each compiling its C# once

  it('reads the snapshot, not the live disk; dismounts on close; refuses what it cannot read', async () => {
    const host = pwshStubHost('hyperv-host');
    hosts.push(host);
    const ntds = join(host.disksDir, 'DC01-ntds.raw');
    const before = randomBytes(8 * MiB);
    await writeFile(ntds, before);
    const adapter = createHyperVAdapter({ sshRunner: host.runner, endpoint: 'hyperv://hv01' });
    await adapter.connect();
    const taken = await adapter.snapshots.take(
      await adapter.snapshots.prepare({ machineId: DC01, consistency: 'crash', tag: 'drkit-disk' }),
    );
    await writeFile(ntds, randomBytes(8 * MiB)); // the VM writes on, into its differencing disk
    const source = await adapter.replication.openDisk(taken.id, DC01, `${DC01}/scsi-0-1`);
    expect(source.sizeBytes).toBe(8 * MiB);
    expect(Buffer.from(await source.read({ offset: 0, length: 8 * MiB })).equals(before)).toBe(true);
    expect(Object.keys(host.state().mounted)).toHaveLength(1);
    await expect(source.read({ offset: 8 * MiB - 4096, length: 8192 })).rejects.toThrow(/outside/);
    await source.close();
    expect(host.state().mounted).toEqual({});
    await expect(adapter.replication.openDisk(taken.id, DC01, `${DC01}/scsi-0-9`)).rejects.toThrow(/has no disk/);
    await expect(
      adapter.replication.openDisk(
        taken.id,
        'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
        'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d/scsi-0-0',
      ),
    ).rejects.toThrow(/pass-through/);
    await adapter.snapshots.delete(taken);
    await adapter.close();
  });
});
