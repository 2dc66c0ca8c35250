import { afterAll, beforeAll } from 'vitest';
import { describeAdapterContract } from '@drkit/contract';
import { createHttpTransport } from '@drkit/http';
import { replayHttp } from '@drkit/record';
import { startVcsim, type Vcsim } from '../../../test/harness/vcsim.js';
import { createVSphereAdapter } from '../src/index.js';

const FIXTURES = new URL('../../../fixtures/vsphere/', import.meta.url).pathname;

let sim: Vcsim;
beforeAll(async () => {
  // Real-vCenter-like paging (≤4 objects a page) so the live run walks tokens too.
  sim = await startVcsim({ clusters: 2, hostsPerCluster: 2, standaloneHosts: 1, vmsPerPool: 2, pageCap: 4 });
});
afterAll(() => sim?.stop());

describeAdapterContract({
  name: 'vsphere against the live vCenter simulator',
  adapter: () =>
    createVSphereAdapter({
      transport: createHttpTransport({ url: sim.origin, tls: { mode: 'pin', sha256: sim.thumbprint } }),
      credentials: { username: sim.username, password: async () => sim.password },
      endpoint: `vsphere://${sim.username}@${sim.host}:${sim.port}/sdk`,
      maxObjects: 7,
    }),
  expect: { get machines() { return sim.machines; }, get hosts() { return sim.hosts; } },
});

for (const scenario of ['recorded-site', 'session-expiry']) {
  describeAdapterContract({
    name: `vsphere replaying fixtures/vsphere/${scenario}`,
    adapter: async () =>
      createVSphereAdapter({
        transport: await replayHttp(FIXTURES + scenario),
        credentials: { username: 'anyone', password: async () => 'anything' },
        endpoint: 'replay',
        maxObjects: 5,
      }),
    expect: { machines: 9, hosts: 5 },
    // Discovery sessions: they hold no snapshot or disk traffic to answer with.
    modules: ['discovery'],
  });
}
