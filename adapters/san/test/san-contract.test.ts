import { afterAll, beforeAll, describe } from 'vitest';
import { describeAdapterContract } from '@drkit/contract';
import { createHttpTransport } from '@drkit/http';
import { Redactor, recordHttp, replayHttp, type HttpRecorder, type HttpReplayer } from '@drkit/record';
import { startFakeOntap, type FakeOntap } from '../../../test/harness/fake-ontap.js';
import { startFakePure, type FakePure } from '../../../test/harness/fake-pure.js';
import { createSanAdapter } from '../src/index.js';

const FIXTURES = new URL('../../../fixtures/san/', import.meta.url).pathname;
// `pnpm record:san` sets this: the live runs below then record into fixtures/san/.
const RECORD = process.env.DRKIT_RECORD_SAN === '1';

// No ONTAP or FlashArray simulator exists: the live side is a mock array (test/harness)
// that follows each vendor's published REST reference. The replay side serves what was
// recorded from it.
describe('SAN against a mock ONTAP cluster (REST, as documented by NetApp)', () => {
  let ontap: FakeOntap;
  let recorder: HttpRecorder | undefined;
  beforeAll(async () => {
    ontap = await startFakeOntap();
    if (RECORD) {
      const redactor = new Redactor({ secrets: [ontap.password, ontap.username], hosts: ['127.0.0.1'] });
      recorder = await recordHttp(createHttpTransport({ url: ontap.url }), `${FIXTURES}ontap-cluster`, redactor, {
        volatileTokens: true,
      });
    }
  });
  afterAll(async () => {
    await recorder?.finish({
      adapter: 'san',
      product: 'NetApp ONTAP 9.13.1 (mock array, test/harness/fake-ontap.ts)',
      endpoint: 'ontap://admin@cluster1.example.invalid',
      notes: 'recorded by pnpm record:san',
      parameters: { family: 'ontap' },
    });
    await ontap?.stop();
  });
  describeAdapterContract({
    name: 'san/ontap (mock array)',
    adapter: () =>
      createSanAdapter({
        family: 'ontap',
        transport: recorder ?? createHttpTransport({ url: ontap.url }),
        endpoint: 'ontap://admin@cluster1',
        username: ontap.username,
        secret: async () => ontap.password,
      }),
    expect: { machines: 2, hosts: 2 },
  });
});

describe('SAN against a mock FlashArray (REST 2.x, as documented by Pure)', () => {
  let pure: FakePure;
  let recorder: HttpRecorder | undefined;
  beforeAll(async () => {
    pure = await startFakePure();
    if (RECORD) {
      const redactor = new Redactor({ secrets: [pure.apiToken], hosts: ['127.0.0.1'] });
      recorder = await recordHttp(createHttpTransport({ url: pure.url }), `${FIXTURES}flasharray`, redactor, {
        volatileTokens: true,
      });
    }
  });
  afterAll(async () => {
    await recorder?.finish({
      adapter: 'san',
      product: 'Purity//FA 6.5.8, REST 2.21 (mock array, test/harness/fake-pure.ts)',
      endpoint: 'pure://flasharray-1.example.invalid',
      notes: 'recorded by pnpm record:san',
      parameters: { family: 'pure' },
    });
    await pure?.stop();
  });
  describeAdapterContract({
    name: 'san/pure (mock array)',
    adapter: () =>
      createSanAdapter({
        family: 'pure',
        transport: recorder ?? createHttpTransport({ url: pure.url }),
        endpoint: 'pure://flasharray-1',
        secret: async () => pure.apiToken,
      }),
    expect: { machines: 2, hosts: 2 },
  });
});

// Replay: the same suite against the recorded exchanges, no server behind them.
for (const [family, dir] of [
  ['ontap', 'ontap-cluster'],
  ['pure', 'flasharray'],
] as const) {
  describe.skipIf(RECORD)(`SAN replaying fixtures/san/${dir}`, () => {
    // One cassette for the whole suite, played in the order it was recorded.
    let replay: HttpReplayer | undefined;
    describeAdapterContract({
      name: `san/${family} (replay)`,
      adapter: async () =>
        createSanAdapter({
          family,
          transport: (replay ??= await replayHttp(`${FIXTURES}${dir}`)),
          endpoint: `${family}://replay`,
          username: 'replay',
          secret: async () => 'replay',
        }),
      expect: { machines: 2, hosts: 2 },
    });
  });
}
