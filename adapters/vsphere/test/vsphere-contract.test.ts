import { afterAll } from 'vitest';
import { describeRecordedContract } from '@drkit/contract';
import { createHttpTransport } from '@drkit/http';
import { Redactor } from '@drkit/record';
import { startVcsim, type Vcsim } from '../../../test/harness/vcsim.js';
import { vsphereAdapter } from '../src/index.js';

const FIXTURES = new URL('../../../fixtures/vsphere/', import.meta.url).pathname;
// `pnpm record:vsphere-contract` sets this: the live run records into fixtures/vsphere/contract-run.
const RECORD = process.env.DRKIT_RECORD_VSPHERE === '1';

let sim: Vcsim | undefined;
afterAll(async () => sim?.stop());

// Live against the govmomi vCenter simulator (started by the first adapter), then the whole
// suite — snapshots and disk reads too — on the recorded contract run.
describeRecordedContract(vsphereAdapter, {
  fixture: `${FIXTURES}contract-run`,
  live: {
    name: 'the live vCenter simulator',
    async start() {
      // Real-vCenter-like paging (≤4 objects a page) so the live run walks tokens too; a
      // user name that is no word of drkit's own (redaction replaces it wherever it appears).
      sim = await startVcsim({
        clusters: 2,
        hostsPerCluster: 2,
        standaloneHosts: 1,
        vmsPerPool: 2,
        pageCap: 4,
        username: 'vc-operator',
      });
      const s = sim;
      return {
        transport: createHttpTransport({ url: s.origin, tls: { mode: 'pin', sha256: s.thumbprint } }),
        endpoint: await vsphereAdapter.parseEndpoint(`vsphere://${s.username}@${s.host}:${s.port}/sdk`),
        secret: async () => s.password,
        options: { pageSize: 7 },
      };
    },
    // The simulator's own count, read once it runs.
    expect: {
      get machines() {
        return sim?.machines;
      },
      get hosts() {
        return sim?.hosts;
      },
    },
    ...(RECORD && {
      record: () => ({
        redactor: new Redactor({ secrets: [sim!.password], hosts: [sim!.host] }),
        endpoint: 'vsphere://drkit@vcenter.example.invalid/sdk',
        product: 'govmomi 0.24.2 vCenter simulator',
        notes: 'the contract suite, live; recorded by pnpm record:vsphere-contract',
        volatileTokens: true,
      }),
    }),
  },
  expect: { machines: 6, hosts: 5 },
});

// Discovery sessions (no snapshot or disk traffic to answer with), replayed through the
// definition as `drkit discover --replay` does. The recorded site ships inside the CLI package.
const SCENARIOS = {
  'recorded-site': new URL('../../../packages/cli/recorded-site/', import.meta.url).pathname,
  'session-expiry': `${FIXTURES}session-expiry`,
};
for (const [scenario, dir] of Object.entries(SCENARIOS)) {
  describeRecordedContract(vsphereAdapter, {
    fixture: dir,
    fixtureName: scenario,
    oneSession: true,
    expect: { machines: 9, hosts: 5 },
    modules: ['discovery'],
  });
}
