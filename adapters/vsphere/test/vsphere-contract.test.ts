import { afterAll, beforeAll } from 'vitest';
import { describeAdapterContract } from '@drkit/contract';
import { createHttpTransport } from '@drkit/http';
import { Redactor, recordHttp, replayHttp, type HttpRecorder, type HttpReplayer } from '@drkit/record';
import { startVcsim, type Vcsim } from '../../../test/harness/vcsim.js';
import { createVSphereAdapter } from '../src/index.js';

const FIXTURES = new URL('../../../fixtures/vsphere/', import.meta.url).pathname;
// `pnpm record:vsphere-contract` sets this: the live run records into fixtures/vsphere/contract-run.
const RECORD = process.env.DRKIT_RECORD_VSPHERE === '1';

let sim: Vcsim;
let recorder: HttpRecorder | undefined;
beforeAll(async () => {
  // Real-vCenter-like paging (≤4 objects a page) so the live run walks tokens too.
  // A user name that is no word of drkit's own (redaction replaces it wherever it appears).
  sim = await startVcsim({
    clusters: 2,
    hostsPerCluster: 2,
    standaloneHosts: 1,
    vmsPerPool: 2,
    pageCap: 4,
    username: 'vc-operator',
  });
  if (RECORD) {
    const live = createHttpTransport({ url: sim.origin, tls: { mode: 'pin', sha256: sim.thumbprint } });
    recorder = await recordHttp(
      live,
      `${FIXTURES}contract-run`,
      new Redactor({ secrets: [sim.password], hosts: [sim.host] }),
      { volatileTokens: true },
    );
  }
});
afterAll(async () => {
  await recorder?.finish({
    adapter: 'vsphere',
    product: 'govmomi 0.24.2 vCenter simulator',
    endpoint: 'vsphere://drkit@vcenter.example.invalid/sdk',
    notes: 'the contract suite, live; recorded by pnpm record:vsphere-contract',
    parameters: { maxObjects: 7 },
  });
  await sim?.stop();
});

describeAdapterContract({
  name: 'vsphere against the live vCenter simulator',
  adapter: () =>
    createVSphereAdapter({
      // One recording for the whole suite: each adapter's close() must not end it.
      transport: recorder
        ? { origin: recorder.origin, request: (r) => recorder!.request(r), close: async () => {} }
        : createHttpTransport({ url: sim.origin, tls: { mode: 'pin', sha256: sim.thumbprint } }),
      credentials: { username: sim.username, password: async () => sim.password },
      endpoint: `vsphere://${sim.username}@${sim.host}:${sim.port}/sdk`,
      maxObjects: 7,
    }),
  expect: {
    get machines() {
      return sim.machines;
    },
    get hosts() {
      return sim.hosts;
    },
  },
});

// The whole suite — snapshots and disk reads too — on the recorded contract run.
let contractReplay: HttpReplayer | undefined;
if (!RECORD) {
  describeAdapterContract({
    name: 'vsphere replaying fixtures/vsphere/contract-run',
    adapter: async () =>
      createVSphereAdapter({
        transport: (contractReplay ??= await replayHttp(`${FIXTURES}contract-run`)),
        credentials: { username: 'anyone', password: async () => 'anything' },
        endpoint: 'replay',
        maxObjects: 7,
      }),
    expect: { machines: 6, hosts: 5 },
  });
}

// The recorded site ships inside the CLI package (`drkit discover` with no endpoint replays it).
const SCENARIOS = {
  'recorded-site': new URL('../../../packages/cli/recorded-site/', import.meta.url).pathname,
  'session-expiry': `${FIXTURES}session-expiry`,
};
for (const [scenario, dir] of Object.entries(SCENARIOS)) {
  describeAdapterContract({
    name: `vsphere replaying ${scenario}`,
    adapter: async () =>
      createVSphereAdapter({
        transport: await replayHttp(dir),
        credentials: { username: 'anyone', password: async () => 'anything' },
        endpoint: 'replay',
        maxObjects: 5,
      }),
    expect: { machines: 9, hosts: 5 },
    // Discovery sessions: they hold no snapshot or disk traffic to answer with.
    modules: ['discovery'],
  });
}
