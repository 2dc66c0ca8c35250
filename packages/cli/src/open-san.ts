import type { HttpTransport, TlsPolicy } from '@drkit/http';
import { createHttpTransport } from '@drkit/http';
import { recordHttp, replayHttp, Redactor, type HttpRecorder } from '@drkit/record';
import { createSanAdapter, parseSanEndpoint } from '@drkit/san';
import { DrkitError } from '@drkit/core';
import type { OpenedAdapter } from './open-adapter.js';
import { passwordSource } from './password-source.js';

/** A storage array over its REST API: ontap://user@cluster or pure://array. */
export async function openSan(endpoint: string, flags: { passwordFile?: string; record?: string }, tls: TlsPolicy): Promise<OpenedAdapter> {
  const ep = parseSanEndpoint(endpoint);
  const secret = passwordSource({ passwordFile: flags.passwordFile, prompt: ep.family === 'pure' ? `API token for ${ep.display}: ` : `password for ${ep.display}: ` });
  let transport: HttpTransport = createHttpTransport({ url: ep.url, tls });
  let recorder: HttpRecorder | undefined;
  if (flags.record) {
    const value = await secret();
    recorder = await recordHttp(transport, flags.record, new Redactor({ secrets: [value, ...(ep.username ? [ep.username] : [])], hosts: [ep.host] }), { volatileTokens: true });
    transport = recorder;
  }
  const adapter = createSanAdapter({ family: ep.family, transport, endpoint: ep.display, ...(ep.username && { username: ep.username }), secret });
  return {
    adapter,
    finish: async () => {
      await recorder?.finish({
        adapter: 'san',
        endpoint: ep.display,
        ...(adapter.site.product && { product: `${adapter.site.product} ${adapter.site.version ?? ''}`.trim() }),
        notes: 'recorded with drkit --record',
        parameters: { family: ep.family },
      });
    },
  };
}

/** A recorded array session; the family comes from the fixture's manifest. */
export async function replaySan(dir: string): Promise<OpenedAdapter> {
  const transport = await replayHttp(dir);
  const family = transport.manifest.parameters?.family;
  if (family !== 'ontap' && family !== 'pure') throw new DrkitError('bad-input', `${dir}: a SAN fixture must name its array family (ontap or pure)`);
  // Replay compares requests with credentials redacted, so any values match.
  const adapter = createSanAdapter({ family, transport, endpoint: transport.manifest.endpoint, username: 'replay', secret: async () => 'replay' });
  return { adapter, finish: async () => {} };
}
