/**
 * Failback (issue 17): a point written back into the disks it came from after 1% of their
 * blocks changed, against sending the whole point (what a failback without checksums does),
 * on the stub Hyper-V host in real pwsh, in one run, alternating, medians:
 *   pnpm build && pnpm bench:failback [-- --mib 256 --repeat 3]
 * drkit's side is the adapter's `recovery.writeBack` (the block helper hashes DC01's disks on
 * the host, only differing blocks cross); the peer uploads the same point's disks in full over
 * the same SSH runner (drkit's own receiver, zero MiB skipped). Goal: bytes written ≤ 1.1× the
 * changed bytes.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDirStore, replicateGroup } from '@drkit/core';
import { powershellOverSsh, uploadFileOverSsh } from '@drkit/powershell';
import { createHyperVAdapter } from '../../adapters/hyperv/src/index.js';
import { NO_PWSH_REASON, PWSH, pwshStubHost } from '../harness/pwsh-stub-host.js';
import { median, numberArg } from './bench-args.js';

if (!PWSH) throw new Error(NO_PWSH_REASON);
const MIB = numberArg('mib', 256);
const REPEAT = numberArg('repeat', 3);
const DC01 = 'd4c3b2a1-6f5e-4b7a-9c8d-5a4b3c2d1e0f';
const BLOCK = 4096;

const host = pwshStubHost('hyperv-host');
const dir = await mkdtemp(join(tmpdir(), 'drkit-failback-bench-'));
const os = join(host.disksDir, 'DC01-os.raw');
const ntds = join(host.disksDir, 'DC01-ntds.raw');
await writeFile(os, randomBytes(MIB << 20));
await writeFile(ntds, randomBytes(8 << 20));
// The stub's DC01 disk is 24 MiB in its seed: the state is written once, then sized to --mib.
await powershellOverSsh(await host.runner()).invoke({
  name: 'seed',
  body: 'Update-StubState { param($s) } | Out-Null',
});
const seeded = host.state();
seeded.vms[DC01.toUpperCase()].disks[0].vhd.size = MIB << 20;
host.setState(seeded);
const adapter = createHyperVAdapter({ sshRunner: host.runner, endpoint: 'hyperv://hv01' });
const store = await openDirStore(join(dir, 'store'));
try {
  await adapter.connect();
  const { point } = await replicateGroup({
    members: [{ adapter, machineId: DC01, name: 'DC01' }],
    consistency: 'crash',
    store,
  });
  const state = host.state();
  host.setState({
    ...state,
    vms: { ...state.vms, [DC01.toUpperCase()]: { ...state.vms[DC01.toUpperCase()], state: 'Off' } },
  });
  const disks = point.members[0]!.disks.map((d) => ({
    name: d.name,
    sizeBytes: d.sizeBytes,
    read: () => store.readPointDisk!(point.id, d.key),
  }));
  // The original disks drift from the point by 1% of their blocks (as a recovered machine's would).
  const drift = async () => {
    let changed = 0;
    for (const file of [os, ntds]) {
      const data = await readFile(file);
      const blocks = new Set<number>();
      while (blocks.size < data.length / BLOCK / 100) blocks.add(randomInt(data.length / BLOCK));
      for (const b of blocks) randomBytes(BLOCK).copy(data, b * BLOCK);
      await writeFile(file, data);
      changed += blocks.size * BLOCK;
    }
    return changed;
  };
  const ssh = await host.runner();
  const rounds = { drkit: [] as number[], full: [] as number[] };
  const bytes = { written: [] as number[], changed: [] as number[], full: 0 };
  for (let round = 0; round < REPEAT; round++) {
    const sides = round % 2 ? (['full', 'drkit'] as const) : (['drkit', 'full'] as const);
    for (const side of sides) {
      if (side === 'drkit') {
        bytes.changed.push(await drift());
        const t = performance.now();
        const r = await adapter.recovery!.writeBack!({ machineId: DC01, disks });
        rounds.drkit.push(performance.now() - t);
        bytes.written.push(r.disks.reduce((n, d) => n + d.bytesWritten, 0));
      } else {
        const target = join(dir, `full-${round}`);
        const t = performance.now();
        let sent = 0;
        for (const d of disks)
          sent += (
            await uploadFileOverSsh(ssh, { dir: target, file: `${d.name}.img`, length: d.sizeBytes, chunks: d.read() })
          ).bytesSent;
        rounds.full.push(performance.now() - t);
        bytes.full = sent;
        await rm(target, { recursive: true, force: true });
      }
    }
  }
  const d = median(rounds.drkit);
  const f = median(rounds.full);
  const written = median(bytes.written);
  const changed = median(bytes.changed);
  console.log(
    JSON.stringify({
      mib: MIB + 8,
      drkitMs: Math.round(d),
      fullCopyMs: Math.round(f),
      timeRatio: Number((d / f).toFixed(2)),
      bytesWritten: written,
      bytesChanged: changed,
      writtenPerChanged: Number((written / changed).toFixed(3)),
      fullCopyBytes: bytes.full,
      met: written <= 1.1 * changed,
      rounds,
    }),
  );
} finally {
  await store.close();
  await adapter.close();
  host.dispose();
  await rm(dir, { recursive: true, force: true });
}
