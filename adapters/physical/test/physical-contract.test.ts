import { hostname } from 'node:os';
import { afterAll } from 'vitest';
import { describeRecordedContract } from '@drkit/contract';
import { Redactor } from '@drkit/record';
import { SshSession } from '@drkit/ssh';
import { createLoopDisks, loopDisksAvailable, type LoopDisks } from '../../../test/harness/loop-disks.js';
import { sshdAvailable, startSshd, type Sshd } from '../../../test/harness/sshd.js';
import { physicalAdapter } from '../src/index.js';

const FIXTURE = new URL('../../../fixtures/physical/linux-host/', import.meta.url).pathname;
// `pnpm record:physical` sets this: the live run below then records into the fixture.
const RECORD = process.env.DRKIT_RECORD_PHYSICAL === '1';

let sshd: Sshd | undefined;
let loops: LoopDisks | undefined;
afterAll(async () => {
  await sshd?.stop();
  await loops?.teardown();
});

// Live: a real sshd on loopback, real loop-device disks (xfs and btrfs, mounted), real
// fsfreeze and btrfs snapshots, the block helper in the host's python3. Replay: the same
// suite against the recorded host, anywhere (no root, no sshd).
describeRecordedContract(physicalAdapter, {
  fixture: FIXTURE,
  expect: { machines: 1, hosts: 1 },
  live: {
    name: 'a real sshd and loop-device disks',
    ...((!sshdAvailable() || !loopDisksAvailable()) && { skip: 'needs root, sshd and loop devices' }),
    async start() {
      [sshd, loops] = await Promise.all([startSshd(), createLoopDisks()]);
      const s = sshd;
      return {
        transport: () =>
          SshSession.open({
            host: s.host,
            port: s.port,
            username: s.username,
            privateKey: s.clientKey,
            hostKey: { kind: 'known-hosts', file: s.knownHostsFile },
          }),
        endpoint: await physicalAdapter.parseEndpoint(`ssh://${s.username}@${s.host}:${s.port}`),
        // zlib on the wire keeps the recorded disk reads (freshly made filesystems) small.
        options: { disk: loops.disks.map((d) => d.device), ...(RECORD && { compress: true }) },
      };
    },
    ...(RECORD && {
      record: () => ({
        redactor: new Redactor({ hosts: [hostname()] }),
        endpoint: 'ssh://root@host-1.example.invalid',
        product: 'Debian GNU/Linux 12 (loop-device disks on a btrfs pool)',
        notes: 'recorded by pnpm record:physical',
      }),
    }),
  },
});
