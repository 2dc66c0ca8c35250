import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_PWSH_REASON, PWSH, pwshStubHost, type PwshStubHost } from '../../../test/harness/pwsh-stub-host.js';
import { sshdAvailable, startSshd, type Sshd } from '../../../test/harness/sshd.js';
import { drkit } from './run-drkit.js';

// The whole path as a user runs it: the drkit binary logs in to a REAL sshd, whose logins are
// the stub Hyper-V host (SetEnv puts its powershell.exe — real pwsh with the stub's cmdlets —
// on the PATH): replicate DC01, test-fail it over onto the isolated switch, protect it back,
// fail back only what changed, clean up by tag. (A re-run finding what a run made, and a
// name already taken, are the vSphere CLI test's and the adapter test's.)
const MiB = 1 << 20;
const ISOLATED = '9d8c7b6a-5f4e-4d3c-9b2a-1f0e9d8c7b6a';
const DC01 = 'D4C3B2A1-6F5E-4B7A-9C8D-5A4B3C2D1E0F';
const ready = PWSH && sshdAvailable();
if (!ready) console.warn(`drkit recover into Hyper-V skipped: ${PWSH ? 'needs root and sshd' : NO_PWSH_REASON}`);

let host: PwshStubHost;
let sshd: Sshd;
beforeAll(async () => {
  if (!ready) return;
  host = pwshStubHost('hyperv-host');
  sshd = await startSshd({ env: host.env });
});
afterAll(async () => {
  await sshd?.stop();
  host?.dispose();
});

describe.skipIf(!ready)('drkit recover into a Hyper-V host over SSH', () => {
  it('test-fails DC01 over onto the test switch from its point, fails back only the blocks it changed, and cleans up only it', async () => {
    const os = randomBytes(24 * MiB);
    const ntds = Buffer.alloc(8 * MiB);
    randomBytes(64 * 1024).copy(ntds, 5 * MiB);
    await writeFile(join(host.disksDir, 'DC01-os.raw'), os);
    await writeFile(join(host.disksDir, 'DC01-ntds.raw'), ntds);
    const endpoint = `hyperv://root@127.0.0.1:${sshd.port}`;
    const login = ['--identity', sshd.clientKeyFile, '--known-hosts', sshd.knownHostsFile];
    const store = `dir:${join(await mkdtemp(join(tmpdir(), 'drkit-recover-hv-')), 'store')}`;

    const replicated = await drkit(['replicate', endpoint, '--machine', 'DC01', '--target', store, ...login, '--json']);
    expect(replicated.code, replicated.stderr).toBe(0);
    const pointId = (JSON.parse(replicated.stdout) as { id: string }).id;

    const test = ['recover', store, '--machine', 'DC01', '--to', endpoint, ...login, '--test', '--json'];
    const run = await drkit([...test, '--test-network', 'Isolated']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { point: { id: string }; machines: Array<Record<string, unknown>> };
    expect(result.point.id).toBe(pointId);
    expect(result.machines).toEqual([
      expect.objectContaining({ source: 'DC01', name: 'DC01-test', state: 'created', consistency: 'crash' }),
    ]);
    expect(run.stderr).toMatch(/creating DC01-test from DC01/);
    // Converting, attaching and starting are one script on Hyper-V: its steps end with attach.
    expect(Object.keys(result.machines[0]!.ms as object)).toEqual(['check', 'create', 'upload', 'attach', 'recover']);
    const made = host.state().vms[String(result.machines[0]!.machineId).toUpperCase()];
    expect(made).toMatchObject({ name: 'DC01-test', generation: 2, cpus: 2, memory: 4 * 1024 ** 3, state: 'Running' });
    expect(made.nics.map((n: { switchId: string }) => n.switchId)).toEqual([ISOLATED]);
    const files = made.disks.map((d: { vhd: { path: string } }) => d.vhd.path) as string[];
    expect((await readFile(files[0]!)).equals(os)).toBe(true);
    expect((await readFile(files[1]!)).equals(ntds)).toBe(true);

    // Failback: the recovered machine changes 1% of its OS disk's blocks and is protected back
    // into a second store; written back into the original DC01 (off), only those blocks cross.
    const back = `dir:${join(await mkdtemp(join(tmpdir(), 'drkit-recover-hv-back-')), 'store')}`;
    const live = await readFile(files[0]!);
    const blocks = new Set<number>();
    while (blocks.size < live.length / 4096 / 100) blocks.add(randomInt(live.length / 4096));
    for (const b of blocks) randomBytes(4096).copy(live, b * 4096);
    await writeFile(files[0]!, live);
    const protect = await drkit(['replicate', endpoint, '--machine', 'DC01-test', '--target', back, ...login]);
    expect(protect.code, protect.stderr).toBe(0);
    const failback = ['recover', 'failback', back, '--machine', 'DC01-test=DC01', '--to', endpoint, ...login, '--json'];
    expect((await drkit(failback)).code).toBe(2); // it overwrites disks: --yes, or a terminal
    // Never into a running machine: its disks are in use.
    const running = await drkit([...failback, '--yes']);
    expect(running.code).not.toBe(0);
    expect(running.stderr).toMatch(/DC01 is Running: a failback writes into its disks only while it is off/);
    const vms = host.state().vms;
    host.setState({ ...host.state(), vms: { ...vms, [DC01]: { ...vms[DC01], state: 'Off' } } });
    const wrote = await drkit([...failback, '--yes']);
    expect(wrote.code, wrote.stderr).toBe(0);
    const [into] = (
      JSON.parse(wrote.stdout) as { machines: Array<{ into: string; disks: Array<{ bytesWritten: number }> }> }
    ).machines;
    expect(into!.into).toBe('DC01');
    expect(into!.disks.map((d) => d.bytesWritten)).toEqual([blocks.size * 4096, 0]);
    expect((await readFile(join(host.disksDir, 'DC01-os.raw'))).equals(live)).toBe(true);

    const cleanup = await drkit(['recover', 'cleanup', store, '--to', endpoint, ...login, '--json']);
    expect(cleanup.code, cleanup.stderr).toBe(0);
    expect((JSON.parse(cleanup.stdout) as { removed: Array<{ name: string }> }).removed.map((m) => m.name)).toEqual([
      'DC01-test',
    ]);
    expect(Object.values(host.state().vms).map((v) => (v as { name: string }).name)).toEqual([
      'DC01',
      'SQL01',
      'WEB01',
      'LEGACY-APP',
    ]);
  }, 180_000);
});
