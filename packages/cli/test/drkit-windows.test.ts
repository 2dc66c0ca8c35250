import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_PWSH_REASON, PWSH, pwshStubHost, type PwshStubHost } from '../../../test/harness/pwsh-stub-host.js';
import { sshdAvailable, startSshd, type Sshd } from '../../../test/harness/sshd.js';
import { randomBytes } from 'node:crypto';
import { stubVolume } from '../../../test/harness/stub-windows-volume.js';
import { drkit } from './run-drkit.js';

// The whole path as a user runs it: the drkit binary logs in to a REAL sshd whose logins are
// a stub Windows server (SetEnv puts its powershell.exe — real pwsh with the stub's CIM, VSS
// and DeviceIoControl stand-ins — and cmd.exe's answer to `uname` on the PATH), replicates a
// volume from its shadow copy twice and restores both points.
const MiB = 1 << 20;
const ready = PWSH && sshdAvailable();
if (!ready)
  console.warn(`drkit replicate of a Windows server skipped: ${PWSH ? 'needs root and sshd' : NO_PWSH_REASON}`);

let host: PwshStubHost;
let sshd: Sshd;
beforeAll(async () => {
  if (!ready) return;
  host = pwshStubHost('windows-server');
  sshd = await startSshd({ env: host.env });
});
afterAll(async () => {
  await sshd?.stop();
  host?.dispose();
});

describe.skipIf(!ready)('drkit replicate of a Windows server over SSH', () => {
  it('sends the used clusters of D:, then only what changed, and restores each point', async () => {
    const endpoint = `ssh://root@127.0.0.1:${sshd.port}`;
    const login = ['--identity', sshd.clientKeyFile, '--known-hosts', sshd.knownHostsFile];
    const store = `dir:${join(await mkdtemp(join(tmpdir(), 'drkit-win-cli-')), 'store')}`;
    const discovered = await drkit(['discover', endpoint, ...login, '--json']);
    expect(discovered.code, discovered.stderr).toBe(0);
    const volume = stubVolume(host, 'D');
    volume.fill(0x5a, 0, volume.size); // what deleted files left in free space
    volume.write(4 * MiB, randomBytes(2 * MiB));
    volume.use([
      [0, 16],
      [(4 * MiB) / 4096, (2 * MiB) / 4096],
    ]);
    const replicate = ['replicate', endpoint, '--disk', 'D:', '--consistency', 'app', '--target', store, ...login];

    const first = await drkit([...replicate, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const p1 = JSON.parse(first.stdout) as {
      id: string;
      members: Array<{ achieved: string; disks: Array<Record<string, number | string>> }>;
    };
    expect(p1.members[0]!.achieved).toBe('app');
    expect(p1.members[0]!.disks[0]).toMatchObject({ name: 'D:', mode: 'initial', sizeBytes: 20 * MiB });
    expect(Number(p1.members[0]!.disks[0]!.bytesRead)).toBeLessThan(3 * MiB);
    const image1 = volume.asPointSees();

    volume.write(5 * MiB, randomBytes(4096));
    const second = await drkit([...replicate, '--json']);
    expect(second.code, second.stderr).toBe(0);
    const p2 = JSON.parse(second.stdout) as typeof p1;
    expect(p2.members[0]!.disks[0]).toMatchObject({ mode: 'resync', bytesWritten: 4096 });
    expect(host.state().shadows).toEqual({});

    for (const [id, image] of [
      [p1.id, image1],
      [p2.id, volume.asPointSees()],
    ] as const) {
      const out = await mkdtemp(join(tmpdir(), 'drkit-win-cli-out-'));
      const restored = await drkit(['restore', store, id, '--out', out, '--json']);
      expect(restored.code, restored.stderr).toBe(0);
      const files = (JSON.parse(restored.stdout) as { files: Array<{ path: string }> }).files;
      expect((await readFile(files[0]!.path)).equals(image)).toBe(true);
    }
  });
});
