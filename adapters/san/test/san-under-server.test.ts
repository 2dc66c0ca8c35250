import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFrozen as frozen } from '../../../test/harness/fsfreeze-probe.js';
import { collectInventory, takeGroupPoint, type GroupMember } from '@drkit/core';
import { createHttpTransport } from '@drkit/http';
import { createPhysicalAdapter } from '@drkit/physical';
import { startFakeOntap, type FakeOntap } from '../../../test/harness/fake-ontap.js';
import { interceptTransport } from '../../../test/harness/intercept-transport.js';
import { createLoopDisks, loopDisksAvailable, type LoopDisks } from '../../../test/harness/loop-disks.js';
import { sshdAvailable, startSshd, type Sshd } from '../../../test/harness/sshd.js';
import { createSanAdapter } from '../src/index.js';

// A server whose data sits on array LUNs: the real server side (sshd, loop-device
// filesystems, fsfreeze) freezes only, and the array's consistency group — the mock ONTAP
// cluster, no simulator exists — fences and commits inside that freeze.
describe.skipIf(!sshdAvailable() || !loopDisksAvailable())('an array group under a frozen server', () => {
  let sshd: Sshd;
  let loops: LoopDisks;
  let ontap: FakeOntap;
  beforeAll(async () => {
    [sshd, loops, ontap] = await Promise.all([startSshd(), createLoopDisks(), startFakeOntap()]);
  });
  afterAll(async () => {
    await sshd?.stop();
    await loops?.teardown();
    await ontap?.stop();
  });

  it('fences and commits while the server is frozen, thaws it after, and calls the array point app-consistent', async () => {
    const mounts = loops.disks.map((d) => d.mountpoint);
    const seen: Array<[string, boolean[]]> = [];
    const transport = interceptTransport(createHttpTransport({ url: ontap.url }), (request) => {
      const action = /action=(start|commit)/.exec(request.path)?.[1];
      if (action) seen.push([action, mounts.map(frozen)]);
    });
    const array = createSanAdapter({
      family: 'ontap',
      transport,
      endpoint: 'ontap://a@c',
      username: ontap.username,
      secret: async () => ontap.password,
    });
    const server = createPhysicalAdapter({
      ssh: {
        host: sshd.host,
        port: sshd.port,
        username: sshd.username,
        privateKey: sshd.clientKey,
        hostKey: { kind: 'known-hosts', file: sshd.knownHostsFile },
      },
      disks: loops.disks.map((d) => d.device),
    });
    try {
      await Promise.all([array.connect(), server.connect()]);
      expect(server.capabilities.snapshot.freezeOnly).toBe(true);
      const cg = (await collectInventory(array.site, array.discover({ kinds: ['machine'] }))).machines.find(
        (m) => m.name === 'cg_db',
      )!;
      const members: GroupMember[] = [
        { adapter: server, machineId: server.site.instanceId!, name: 'db01', freezeOnly: true },
        { adapter: array, machineId: cg.id, name: 'cg_db', under: [server.site.instanceId!] },
      ];
      const point = await takeGroupPoint({ members, consistency: 'app' });
      expect(seen).toEqual([
        ['start', mounts.map(() => true)],
        ['commit', mounts.map(() => true)],
      ]);
      expect(mounts.map(frozen)).toEqual(mounts.map(() => false));
      expect(point.statement).toMatchObject({ requested: 'app', achieved: 'app', basis: 'shared-freeze' });
      const [host, lun] = point.members;
      expect(host!.snapshot).toMatchObject({ achieved: 'app', disks: [] });
      expect(lun!).toMatchObject({ snapshot: { requested: 'app', achieved: 'app' }, consistencyFrom: ['db01'] });
      expect(ontap.snapshotsOf('cg_db')).toEqual([point.tag]);
      // Nothing was snapshotted on the server itself.
      expect(await server.snapshots.listTagged(point.tag)).toEqual([]);
    } finally {
      await array.close();
      await server.close();
    }
  });
});
