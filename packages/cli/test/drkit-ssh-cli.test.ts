import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inventory } from '@drkit/core';
import { createLoopDisks, loopDisksAvailable, type LoopDisks } from '../../../test/harness/loop-disks.js';
import { sshdAvailable, startSshd, type Sshd } from '../../../test/harness/sshd.js';
import { drkit } from './run-drkit.js';

// The CLI against a real sshd and real loop-device disks.
describe.skipIf(!sshdAvailable() || !loopDisksAvailable())('drkit over ssh://', () => {
  let sshd: Sshd;
  let loops: LoopDisks;
  let auth: string[];
  let endpoint: string;
  beforeAll(async () => {
    [sshd, loops] = await Promise.all([startSshd(), createLoopDisks()]);
    endpoint = `ssh://root@127.0.0.1:${sshd.port}`;
    auth = [
      '--identity',
      sshd.clientKeyFile,
      '--known-hosts',
      sshd.knownHostsFile,
      ...loops.disks.flatMap((d) => ['--disk', d.device]),
    ];
  });
  afterAll(async () => {
    await sshd?.stop();
    await loops?.teardown();
  });

  it('discovers the server: one machine, the chosen disks with their snapshot mechanism', async () => {
    const run = await drkit(['discover', endpoint, ...auth, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const inv = JSON.parse(run.stdout) as Inventory;
    expect(inv.machines).toHaveLength(1);
    expect(inv.machines[0]!.os.family).toBe('linux');
    expect(inv.machines[0]!.disks.map((d) => [d.path, d.capacityBytes, d.provisioning])).toEqual(
      loops.disks.map((d) => [d.device, d.sizeBytes, 'snapshot:btrfs']),
    );
  });

  it("replicates app-consistently, then deltas from the snapshots' extent maps, resyncs on request, and every point verifies", async () => {
    const target = `dir:${join(await mkdtemp(join(tmpdir(), 'drkit-ssh-cli-')), 'store')}`;
    const marker = join(loops.dir, 'hooks.log');
    const hooks = ['--pre-hook', `echo pre >> ${marker}`, '--post-hook', `echo post >> ${marker}`];
    const first = await drkit([
      'replicate',
      endpoint,
      ...auth,
      ...hooks,
      '--consistency',
      'app',
      '--target',
      target,
      '--json',
    ]);
    expect(first.code, first.stderr).toBe(0);
    const p1 = JSON.parse(first.stdout);
    // fsfreeze held across both filesystems while btrfs snapshotted the subvolume.
    expect(p1.consistency).toMatchObject({ achieved: 'app', basis: 'shared-freeze' });
    expect(p1.members[0].achieved).toBe('app');
    expect(p1.members[0].disks.map((d: { mode: string }) => d.mode)).toEqual(['initial', 'initial']);
    expect(readFileSync(marker, 'utf8')).toBe('pre\npost\n');
    await writeFile(join(loops.disks[0]!.mountpoint, 'changed.bin'), Buffer.alloc(1 << 20, 7));
    const second = await drkit(['replicate', endpoint, ...auth, '--consistency', 'app', '--target', target, '--json']);
    expect(second.code, second.stderr).toBe(0);
    const p2 = JSON.parse(second.stdout);
    expect(p2.members[0].disks.map((d: { mode: string }) => d.mode)).toEqual(['delta', 'delta']);
    // Only what changed was read: the 1 MiB file and some metadata, not 448 MiB of disks.
    const read = p2.members[0].disks.reduce((n: number, d: { bytesRead: number }) => n + d.bytesRead, 0);
    expect(read).toBeGreaterThanOrEqual(1 << 20);
    expect(read).toBeLessThan(32 << 20);
    const third = await drkit(['replicate', endpoint, ...auth, '--resync', '--target', target, '--json']);
    expect(third.code, third.stderr).toBe(0);
    const p3 = JSON.parse(third.stdout);
    expect(p3.members[0].disks.map((d: { mode: string }) => d.mode)).toEqual(['resync', 'resync']);
    // Remote checksums: hashes crossed, the data did not (nothing changed since the delta).
    expect(p3.members[0].disks.reduce((n: number, d: { bytesRead: number }) => n + d.bytesRead, 0)).toBeLessThan(
      1 << 20,
    );
    const verify = await drkit(['verify', target]);
    expect(verify.code, verify.stderr).toBe(0);
  });

  it('records a discovery with --record that --replay answers the same, anywhere', async () => {
    const dir = join(loops.dir, 'recorded');
    const live = await drkit(['discover', endpoint, ...auth, '--json', '--record', dir]);
    expect(live.code, live.stderr).toBe(0);
    const replayed = await drkit(['discover', '--replay', dir, '--json']);
    expect(replayed.code, replayed.stderr).toBe(0);
    const strip = (t: string) => ({ ...JSON.parse(t), collectedAt: 0, site: 0 });
    // The recording is redacted (addresses, host names), so compare the shape that survives it.
    const a = strip(live.stdout);
    const b = strip(replayed.stdout);
    expect(b.machines.map((m: { id: string; disks: unknown[] }) => [m.id, m.disks.length])).toEqual(
      a.machines.map((m: { id: string; disks: unknown[] }) => [m.id, m.disks.length]),
    );
    expect(
      b.machines[0].addresses.every((x: string) => /^(192\.0\.2|198\.51\.100|203\.0\.113)\.|^2001:db8:/.test(x)),
    ).toBe(true);
  });

  it('refuses a host missing from the default known_hosts, naming the fingerprint to pin', async () => {
    const run = await drkit(['discover', endpoint, '--identity', sshd.clientKeyFile], { HOME: loops.dir });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(
      `is not in ${loops.dir}/.ssh/known_hosts; add its key (ssh-keyscan) or pin it with --fingerprint ${sshd.fingerprint}`,
    );
  });

  it('refuses a host whose key is not the pinned one, with exit code 4', async () => {
    const run = await drkit([
      'discover',
      endpoint,
      '--identity',
      sshd.clientKeyFile,
      '--fingerprint',
      `SHA256:${'B'.repeat(43)}`,
    ]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/does not match the pinned.*\[host-key-mismatch\]/);
  });

  it('warns loudly with --insecure, and says which disks cannot be snapshotted', async () => {
    const run = await drkit(['discover', endpoint, '--identity', sshd.clientKeyFile, '--insecure']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/WARNING: .*host key NOT verified/);
    expect(run.stdout + run.stderr).toMatch(/no block-level snapshot mechanism/);
  });
});
