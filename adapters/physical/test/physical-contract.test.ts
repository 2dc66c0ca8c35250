import { afterAll, beforeAll, describe } from 'vitest';
import { describeAdapterContract } from '@drkit/contract';
import { createLoopDisks, loopDisksAvailable, type LoopDisks } from '../../../test/harness/loop-disks.js';
import { sshdAvailable, startSshd, type Sshd } from '../../../test/harness/sshd.js';
import { createPhysicalAdapter } from '../src/index.js';

// Live: a real sshd on loopback, real loop-device disks (xfs and btrfs, mounted), real
// fsfreeze and btrfs snapshots, the block helper in the host's python3.
describe.skipIf(!sshdAvailable() || !loopDisksAvailable())('physical Linux over SSH', () => {
  let sshd: Sshd;
  let loops: LoopDisks;
  beforeAll(async () => {
    [sshd, loops] = await Promise.all([startSshd(), createLoopDisks()]);
  });
  afterAll(async () => {
    await sshd?.stop();
    await loops?.teardown();
  });

  describeAdapterContract({
    name: 'physical against a real sshd and loop-device disks',
    adapter: () =>
      createPhysicalAdapter({
        ssh: { host: sshd.host, port: sshd.port, username: sshd.username, privateKey: sshd.clientKey, hostKey: { kind: 'known-hosts', file: sshd.knownHostsFile } },
        disks: loops.disks.map((d) => d.device),
      }),
    expect: { machines: 1, hosts: 1 },
  });
});
