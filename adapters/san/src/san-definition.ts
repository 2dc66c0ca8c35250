import { DrkitError, defineAdapter } from '@drkit/spec';
import type { HttpTransport } from '@drkit/http';

/** Storage arrays over their REST APIs: NetApp ONTAP and Pure FlashArray. Light: loads on create. */
export const sanAdapter = defineAdapter<HttpTransport>({
  specificationVersion: 'v1',
  kind: 'san',
  schemes: ['ontap', 'pure'],
  connection: 'https',
  usage: 'ontap://user@cluster[:port] or pure://array[:port]',
  // ONTAP job ids and Pure session tokens change every session: replay binds them.
  volatileTokens: true,
  async parseEndpoint(endpoint) {
    const { parseSanEndpoint } = await import('./san-endpoint.js');
    const ep = parseSanEndpoint(endpoint);
    return {
      display: ep.display,
      url: ep.url,
      host: ep.host,
      port: ep.port,
      ...(ep.username && { username: ep.username }),
      secretPrompt: ep.family === 'pure' ? `API token for ${ep.display}: ` : `password for ${ep.display}: `,
      details: { family: ep.family },
    };
  },
  async create(ep, c) {
    const { createSanAdapter } = await import('./create-san-adapter.js');
    const family = ep.details?.family === 'pure' ? 'pure' : 'ontap';
    return createSanAdapter({
      family,
      transport: c.transport,
      endpoint: ep.display,
      ...(ep.username && { username: ep.username }),
      secret: c.secret,
    });
  },
  async fromFixture(fixture, c) {
    const { createSanAdapter } = await import('./create-san-adapter.js');
    const family = fixture.parameters?.family;
    if (family !== 'ontap' && family !== 'pure')
      throw new DrkitError('bad-input', 'a SAN fixture must name its array family (ontap or pure)');
    // Replay compares requests with credentials redacted, so any values match.
    return createSanAdapter({
      family,
      transport: c.transport,
      endpoint: fixture.endpoint,
      username: 'replay',
      secret: async () => 'replay',
    });
  },
  recordParameters: (ep) => ({ family: String(ep.details?.family) }),
});
