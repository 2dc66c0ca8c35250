import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFrozen as frozen } from '../../../test/harness/fsfreeze-probe.js';
import type { Adapter } from '@drkit/core';
import { createLoopDisks, loopDisksAvailable, type LoopDisks } from '../../../test/harness/loop-disks.js';
import { sshdAvailable, startSshd, type Sshd } from '../../../test/harness/sshd.js';
import { startTcpProxy, type TcpProxy } from '../../../test/harness/tcp-proxy.js';
import { createPhysicalAdapter, type PhysicalAdapterOptions } from '../src/index.js';

async function eventually(cond: () => boolean, ms: number): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - start;
}

// The freeze is the one thing that must never be left behind: real fsfreeze on real
// filesystems, over a real sshd, with the link cut and the client gone silent.
describe.skipIf(!sshdAvailable() || !loopDisksAvailable())('physical: fsfreeze is always undone', () => {
  let sshd: Sshd;
  let loops: LoopDisks;
  let proxy: TcpProxy;
  const adapters: Adapter[] = [];
  beforeAll(async () => {
    [sshd, loops] = await Promise.all([startSshd(), createLoopDisks()]);
    proxy = await startTcpProxy(sshd.port);
  });
  afterAll(async () => {
    for (const a of adapters) await a.close().catch(() => {});
    for (const d of loops?.disks ?? []) if (frozen(d.mountpoint)) execFileSync('fsfreeze', ['-u', d.mountpoint]);
    await proxy?.close();
    await sshd?.stop();
    await loops?.teardown();
  });
  const open = async (extra: Partial<PhysicalAdapterOptions> = {}) => {
    const adapter = createPhysicalAdapter({
      ssh: {
        host: '127.0.0.1',
        port: proxy.port,
        username: 'root',
        privateKey: sshd.clientKey,
        hostKey: { kind: 'fingerprint', sha256: sshd.fingerprint },
      },
      disks: loops.disks.map((d) => d.device),
      ...extra,
    });
    adapters.push(adapter);
    await adapter.connect();
    return { adapter, machineId: adapter.site.instanceId! };
  };
  const mounts = () => loops.disks.map((d) => d.mountpoint);

  it('freezes every filesystem on the disks for the snapshot and thaws them on release', async () => {
    const { adapter, machineId } = await open();
    const prepared = await adapter.snapshots.prepare({ machineId, consistency: 'app', tag: 'drkit-freeze-a' });
    expect(mounts().map(frozen)).toEqual([true, true]);
    const taken = await adapter.snapshots.take(prepared).finally(() => adapter.snapshots.release(prepared));
    expect(mounts().map(frozen)).toEqual([false, false]);
    expect(taken.achieved).toBe('app');
    await adapter.snapshots.delete(taken);
  });

  it('thaws on the host by itself when the connection drops mid-freeze', async () => {
    const { adapter, machineId } = await open();
    await adapter.snapshots.prepare({
      machineId,
      consistency: 'app',
      tag: 'drkit-freeze-b',
      freezeDeadline: Date.now() + 30_000,
    });
    expect(mounts().map(frozen)).toEqual([true, true]);
    proxy.cutAll();
    // stdin reaches EOF on the host: well before the 30 s budget.
    expect(await eventually(() => mounts().every((m) => !frozen(m)), 5_000)).toBeLessThan(5_000);
  });

  it('thaws when the freeze budget runs out, even if the client never says so — and a late snapshot is only crash-consistent', async () => {
    const { adapter, machineId } = await open();
    const prepared = await adapter.snapshots.prepare({
      machineId,
      consistency: 'app',
      tag: 'drkit-freeze-c',
      freezeDeadline: Date.now() + 1_500,
    });
    expect(mounts().map(frozen)).toEqual([true, true]);
    await eventually(() => mounts().every((m) => !frozen(m)), 4_000);
    // A snapshot taken now is not app-consistent, and says so.
    const taken = await adapter.snapshots.take(prepared);
    expect(taken.achieved).toBe('crash');
    expect(taken.warnings.join()).toMatch(/freeze budget ran out/);
    await adapter.snapshots.release(prepared); // late and harmless
    await adapter.snapshots.delete(taken);
  });

  it('runs the pre hook before the freeze and the post hook after the thaw', async () => {
    const [first] = mounts();
    const { adapter, machineId } = await open({
      // Writes into the filesystem: only possible while it is not frozen.
      hooks: {
        pre: ['sh', '-c', `date +%s%N > ${join(first!, 'pre-hook')}`],
        post: ['sh', '-c', `date +%s%N > ${join(first!, 'post-hook')}`],
      },
    });
    const prepared = await adapter.snapshots.prepare({ machineId, consistency: 'app', tag: 'drkit-freeze-d' });
    expect(existsSync(join(first!, 'pre-hook'))).toBe(true);
    expect(existsSync(join(first!, 'post-hook'))).toBe(false);
    const taken = await adapter.snapshots.take(prepared).finally(() => adapter.snapshots.release(prepared));
    expect(existsSync(join(first!, 'post-hook'))).toBe(true);
    await adapter.snapshots.delete(taken);
  });

  it('fails the point, frozen nothing, when the pre hook fails', async () => {
    const { adapter, machineId } = await open({
      hooks: { pre: ['sh', '-c', 'echo "database refused to quiesce" >&2; exit 9'] },
    });
    const err = await adapter.snapshots
      .prepare({ machineId, consistency: 'app', tag: 'drkit-freeze-e' })
      .catch((e) => e);
    expect([err.code, err.fault]).toEqual(['platform', 'exit 9']);
    expect(err.message).toMatch(/database refused to quiesce/);
    expect(mounts().map(frozen)).toEqual([false, false]);
  });
});
