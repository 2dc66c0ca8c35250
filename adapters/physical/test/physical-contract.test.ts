import { hostname } from 'node:os';
import { afterAll, beforeAll, describe } from 'vitest';
import { describeAdapterContract } from '@drkit/contract';
import { Redactor, recordSsh, replaySsh, type SshRecorder, type SshReplay } from '@drkit/record';
import { SshSession } from '@drkit/ssh';
import { createLoopDisks, loopDisksAvailable, type LoopDisks } from '../../../test/harness/loop-disks.js';
import { sshdAvailable, startSshd, type Sshd } from '../../../test/harness/sshd.js';
import { createPhysicalAdapter } from '../src/index.js';

const FIXTURE = new URL('../../../fixtures/physical/linux-host/', import.meta.url).pathname;
// `pnpm record:physical` sets this: the live run below then records into the fixture.
const RECORD = process.env.DRKIT_RECORD_PHYSICAL === '1';

// Live: a real sshd on loopback, real loop-device disks (xfs and btrfs, mounted), real
// fsfreeze and btrfs snapshots, the block helper in the host's python3.
describe.skipIf(!sshdAvailable() || !loopDisksAvailable())('physical Linux over SSH', () => {
  let sshd: Sshd;
  let loops: LoopDisks;
  let recorder: SshRecorder | undefined;
  beforeAll(async () => {
    [sshd, loops] = await Promise.all([startSshd(), createLoopDisks()]);
    if (RECORD) {
      const endpoint = {
        host: sshd.host,
        port: sshd.port,
        username: sshd.username,
        privateKey: sshd.clientKey,
        hostKey: { kind: 'known-hosts' as const, file: sshd.knownHostsFile },
      };
      recorder = recordSsh(() => SshSession.open(endpoint), FIXTURE, new Redactor({ hosts: [hostname()] }));
    }
  });
  afterAll(async () => {
    await recorder?.finish({
      adapter: 'physical',
      endpoint: 'ssh://root@host-1.example.invalid',
      product: 'Debian GNU/Linux 12 (loop-device disks on a btrfs pool)',
      notes:
        'recorded by DRKIT_RECORD_PHYSICAL=1 vitest run adapters/physical/test/physical-contract.test.ts (pnpm record:physical)',
      parameters: { disks: loops.disks.map((d) => d.device).join(','), compress: true },
    });
    await sshd?.stop();
    await loops?.teardown();
  });

  describeAdapterContract({
    name: 'physical against a real sshd and loop-device disks',
    adapter: () =>
      createPhysicalAdapter({
        ...(recorder
          ? { runner: () => recorder!.connect() }
          : {
              ssh: {
                host: sshd.host,
                port: sshd.port,
                username: sshd.username,
                privateKey: sshd.clientKey,
                hostKey: { kind: 'known-hosts', file: sshd.knownHostsFile },
              },
            }),
        disks: loops.disks.map((d) => d.device),
        // zlib on the wire keeps the recorded disk reads (freshly made filesystems) small.
        ...(recorder && { compress: true }),
      }),
    expect: { machines: 1, hosts: 1 },
  });
});

// Replay: the same suite against the recorded host, anywhere (no root, no sshd).
describe.skipIf(RECORD)('physical replaying fixtures/physical/linux-host', () => {
  let replay: SshReplay | undefined;
  describeAdapterContract({
    name: 'physical replaying a recorded Linux host',
    adapter: async () => {
      replay ??= await replaySsh(FIXTURE);
      const r = replay;
      return createPhysicalAdapter({
        runner: () => r.connect(),
        disks: String(r.manifest.parameters?.disks).split(','),
        compress: r.manifest.parameters?.compress === true,
      });
    },
    expect: { machines: 1, hosts: 1 },
  });
});
