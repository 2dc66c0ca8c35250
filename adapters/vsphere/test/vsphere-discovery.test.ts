import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectInventory, DrkitError } from '@drkit/core';
import { createHttpTransport, type HttpTransport, type TlsPolicy } from '@drkit/http';
import { interceptTransport, soapMethod } from '../../../test/harness/intercept-transport.js';
import { startVcsim, type Vcsim } from '../../../test/harness/vcsim.js';
import { terminateOtherSessions } from '../../../test/harness/vsphere-admin.js';
import { createVSphereAdapter } from '../src/index.js';

let sim: Vcsim;
// 2 clusters × 3 hosts, 2 standalone hosts, 3 VMs per resource pool (one per cluster and
// per standalone host): 12 machines, 8 hosts.
const TOPOLOGY = { clusters: 2, hostsPerCluster: 3, standaloneHosts: 2, vmsPerPool: 3, datastores: 2, pageCap: 4 };
beforeAll(async () => {
  sim = await startVcsim(TOPOLOGY);
});
afterAll(() => sim?.stop());

const live = (tls: TlsPolicy = { mode: 'pin', sha256: sim.thumbprint }) =>
  createHttpTransport({ url: sim.origin, tls });
const adapterOn = (transport: HttpTransport, maxObjects = 10) =>
  createVSphereAdapter({
    transport,
    credentials: { username: sim.username, password: async () => sim.password },
    endpoint: 'vsphere://test',
    maxObjects,
  });

async function discover(transport: HttpTransport, maxObjects?: number) {
  const adapter = adapterOn(transport, maxObjects);
  try {
    await adapter.connect();
    return { inventory: await collectInventory(adapter.site, adapter.discover()), logins: adapter.logins };
  } finally {
    await adapter.close();
  }
}

describe('vSphere discovery against the simulator', () => {
  it('finds every machine, host, cluster and datastore the simulator was told to create', async () => {
    const { inventory } = await discover(live());
    expect(sim.machines).toBe(12);
    expect(inventory.machines).toHaveLength(12);
    expect(inventory.hosts).toHaveLength(8);
    expect(inventory.clusters).toHaveLength(2);
    expect(inventory.storage).toHaveLength(2);
    expect(inventory.clusters.every((c) => c.hostIds.length === 3)).toBe(true);
    // Names follow govmomi's model: DC0_C<n>_RP0_VM<m> in clusters, DC0_H<n>_VM<m> on standalone hosts.
    const names = inventory.machines.map((m) => m.name).sort();
    expect(names.filter((n) => /^DC0_C[01]_RP0_VM[0-2]$/.test(n))).toHaveLength(6);
    expect(names.filter((n) => /^DC0_H[01]_VM[0-2]$/.test(n))).toHaveLength(6);
    // The simulator gives every VM one 1 MiB thin disk on a datastore and one NIC.
    for (const m of inventory.machines) {
      expect(m.disks).toHaveLength(1);
      expect(m.disks[0]!.capacityBytes).toBe(1024 * 1024);
      expect(m.disks[0]!.path).toMatch(/^\[LocalDS_\d\] .+\.vmdk$/);
      expect(m.nics).toHaveLength(1);
      expect(m.powerState).toBe('on');
      expect(m.clusterId === undefined).toBe(m.name.startsWith('DC0_H'));
    }
    expect(inventory.warnings).toEqual([]);
  });

  it('walks every page when the server pages, and returns what an unpaged pass returns', async () => {
    const counted = interceptTransport(live(), () => {});
    const paged = await discover(counted, 3);
    expect(counted.calls.filter((m) => m === 'ContinueRetrievePropertiesEx').length).toBeGreaterThanOrEqual(4);
    const ids = (inv: typeof paged.inventory) => inv.machines.map((m) => m.id).sort();
    const unpagedSim = { ...paged };
    unpagedSim.inventory = (await discover(live(), 10_000)).inventory;
    expect(ids(paged.inventory)).toEqual(ids(unpagedSim.inventory));
  });

  it('logs in again and restarts the pass when the session is terminated mid-paging, reporting nothing twice', async () => {
    let continues = 0;
    const transport = interceptTransport(live(), async (request) => {
      if (soapMethod(request) === 'ContinueRetrievePropertiesEx' && ++continues === 3)
        await terminateOtherSessions(sim);
    });
    const { inventory, logins } = await discover(transport, 3);
    expect(logins).toBe(2);
    expect(inventory.machines).toHaveLength(12);
    expect(inventory.warnings).toHaveLength(1);
    expect(inventory.warnings[0]).toMatch(/session lost during discovery \(NotAuthenticated\)/);
    // The restarted pass begins at the first page with a fresh view.
    const afterLogin = transport.calls.slice(transport.calls.lastIndexOf('Login'));
    expect(afterLogin.slice(0, 3)).toEqual(['Login', 'CreateContainerView', 'RetrievePropertiesEx']);
  });

  it('does not believe an empty answer from a dead session: it logs in again and finds the machines', async () => {
    // The simulator always faults a dead session; real vCenter has been seen to answer
    // with an empty result instead. This test forges that one empty answer (a mock, on
    // top of the real simulator) after really ending the session.
    const inner = live();
    let forged = false;
    const transport: HttpTransport = {
      origin: inner.origin,
      close: () => inner.close(),
      async request(request) {
        const body = String(request.body ?? '');
        if (!forged && soapMethod(request) === 'RetrievePropertiesEx' && body.includes('<type>VirtualMachine</type>')) {
          forged = true;
          await terminateOtherSessions(sim);
          const empty =
            '<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><RetrievePropertiesExResponse xmlns="urn:vim25"></RetrievePropertiesExResponse></soapenv:Body></soapenv:Envelope>';
          return {
            status: 200,
            headers: { 'content-type': 'text/xml' },
            body: (async function* () {
              yield Buffer.from(empty);
            })(),
            cancel() {},
          };
        }
        return inner.request(request);
      },
    };
    const { inventory, logins } = await discover(transport);
    expect(forged).toBe(true);
    expect(logins).toBe(2);
    expect(inventory.machines).toHaveLength(12);
  });

  it('gives up with a typed error, not an empty inventory, when the session keeps dying', async () => {
    const transport = interceptTransport(live(), async (request) => {
      if (soapMethod(request) === 'CreateContainerView') await terminateOtherSessions(sim);
    });
    const adapter = adapterOn(transport);
    await adapter.connect();
    const run = collectInventory(adapter.site, adapter.discover());
    await expect(run).rejects.toSatisfy((e: unknown) => DrkitError.isInstance(e) && e.code === 'session-expired');
    await adapter.close();
  });

  it('logs out on every path, also after a failure', async () => {
    const transport = interceptTransport(live(), () => {});
    const adapter = adapterOn(transport);
    await adapter.connect();
    const controller = new AbortController();
    controller.abort();
    await expect(collectInventory(adapter.site, adapter.discover({ signal: controller.signal }))).rejects.toSatisfy(
      (e: unknown) => DrkitError.isInstance(e) && e.code === 'aborted',
    );
    await adapter.close();
    expect(transport.calls.at(-1)).toBe('Logout');
  });

  it('refuses a wrong password as auth-failed, without retrying', async () => {
    const transport = interceptTransport(live(), () => {});
    const adapter = createVSphereAdapter({
      transport,
      credentials: { username: sim.username, password: async () => 'wrong' },
      endpoint: 'x',
    });
    await expect(adapter.connect()).rejects.toSatisfy(
      (e: unknown) =>
        DrkitError.isInstance(e) && e.code === 'auth-failed' && !e.retryable && e.fault === 'InvalidLogin',
    );
    expect(transport.calls.filter((c) => c === 'Login')).toHaveLength(1);
    await adapter.close();
  });
});

describe('vSphere TLS', () => {
  const connect = async (tls: TlsPolicy) => {
    const adapter = adapterOn(live(tls));
    try {
      await adapter.connect();
      return 'connected';
    } finally {
      await adapter.close();
    }
  };

  it("refuses the simulator's self-signed certificate by default", async () => {
    await expect(connect({ mode: 'verify' })).rejects.toSatisfy(
      (e: unknown) => DrkitError.isInstance(e) && e.code === 'tls-mismatch',
    );
  });

  it('connects when the thumbprint is pinned, and refuses a different pin before sending anything', async () => {
    await expect(connect({ mode: 'pin', sha256: sim.thumbprint })).resolves.toBe('connected');
    const wrong = sim.thumbprint.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    await expect(connect({ mode: 'pin', sha256: wrong })).rejects.toSatisfy(
      (e: unknown) => DrkitError.isInstance(e) && e.code === 'tls-mismatch' && e.fault === 'thumbprint-mismatch',
    );
  });

  it('connects with the explicit insecure switch', async () => {
    await expect(connect({ mode: 'insecure' })).resolves.toBe('connected');
  });

  it('leaves TLS verification on for the rest of the process', () => {
    expect(process.env.NODE_TLS_REJECT_UNAUTHORIZED).toBeUndefined();
  });
});
