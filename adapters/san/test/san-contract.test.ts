import { afterAll } from 'vitest';
import { describeRecordedContract } from '@drkit/contract';
import { createHttpTransport } from '@drkit/http';
import { Redactor } from '@drkit/record';
import { startFakeOntap, type FakeOntap } from '../../../test/harness/fake-ontap.js';
import { startFakePure, type FakePure } from '../../../test/harness/fake-pure.js';
import { sanAdapter } from '../src/index.js';

const FIXTURES = new URL('../../../fixtures/san/', import.meta.url).pathname;
// `pnpm record:san` sets this: the live runs below then record into fixtures/san/.
const RECORD = process.env.DRKIT_RECORD_SAN === '1';

let ontap: FakeOntap | undefined;
let pure: FakePure | undefined;
afterAll(async () => {
  await ontap?.stop();
  await pure?.stop();
});

// No ONTAP or FlashArray simulator exists: the live side is a MOCK array (test/harness)
// that follows each vendor's published REST reference. The replay side serves what was
// recorded from it, through the definition, as `drkit --replay` does.
describeRecordedContract(sanAdapter, {
  fixture: `${FIXTURES}ontap-cluster`,
  expect: { machines: 2, hosts: 2 },
  live: {
    name: 'a mock ONTAP cluster (REST, as documented by NetApp)',
    async start() {
      const o = (ontap = await startFakeOntap());
      return {
        transport: createHttpTransport({ url: o.url }),
        endpoint: { ...(await sanAdapter.parseEndpoint('ontap://admin@cluster1')), username: o.username },
        secret: async () => o.password,
      };
    },
    ...(RECORD && {
      record: () => ({
        redactor: new Redactor({ secrets: [ontap!.password, ontap!.username], hosts: ['127.0.0.1'] }),
        endpoint: 'ontap://admin@cluster1.example.invalid',
        product: 'NetApp ONTAP 9.13.1 (mock array, test/harness/fake-ontap.ts)',
        notes: 'recorded by pnpm record:san',
      }),
    }),
  },
});

describeRecordedContract(sanAdapter, {
  fixture: `${FIXTURES}flasharray`,
  expect: { machines: 2, hosts: 2 },
  live: {
    name: 'a mock FlashArray (REST 2.x, as documented by Pure)',
    async start() {
      const p = (pure = await startFakePure());
      return {
        transport: createHttpTransport({ url: p.url }),
        endpoint: await sanAdapter.parseEndpoint('pure://flasharray-1'),
        secret: async () => p.apiToken,
      };
    },
    ...(RECORD && {
      record: () => ({
        redactor: new Redactor({ secrets: [pure!.apiToken], hosts: ['127.0.0.1'] }),
        endpoint: 'pure://flasharray-1.example.invalid',
        product: 'Purity//FA 6.5.8, REST 2.21 (mock array, test/harness/fake-pure.ts)',
        notes: 'recorded by pnpm record:san',
      }),
    }),
  },
});
