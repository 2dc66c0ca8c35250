import { describe, expect, it } from 'vitest';
import { DrkitError } from '@drkit/core';
import { createVSphereAdapter } from '@drkit/vsphere';
import { readCassette, replayHttp, type RecordedHttpRequest } from '../src/index.js';

const FIXTURE = new URL('../../cli/recorded-site', import.meta.url).pathname;

describe('replay', () => {
  it('fails loudly, naming the exchange, when the client asks something the recording did not', async () => {
    // A different page size changes the RetrievePropertiesEx request the recording expects.
    const adapter = createVSphereAdapter({
      transport: await replayHttp(FIXTURE),
      credentials: { username: 'u', password: async () => 'p' },
      endpoint: 'r',
      maxObjects: 6,
    });
    await adapter.connect();
    const run = async () => {
      for await (const _ of adapter.discover()) void _;
    };
    await expect(run()).rejects.toSatisfy(
      (e: unknown) =>
        DrkitError.isInstance(e) &&
        e.code === 'replay-mismatch' &&
        /request #3 differs/.test(e.message) &&
        /maxObjects>5/.test(e.message),
    );
  });

  it('refuses a request past the end of the recording', async () => {
    const transport = await replayHttp(FIXTURE);
    // Recorded requests are already redacted; replaying them verbatim must match.
    for (const e of await readCassette<RecordedHttpRequest, unknown>(FIXTURE, 'http')) {
      const res = await transport.request({ method: 'POST', path: e.request.path, headers: {}, body: e.request.body });
      for await (const _ of res.body) void _;
    }
    expect(transport.remaining()).toBe(0);
    await expect(transport.request({ method: 'POST', path: '/sdk', headers: {}, body: '<x/>' })).rejects.toThrow(
      /after the end of the recording/,
    );
  });
});
