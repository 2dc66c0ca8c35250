import { defineAdapter } from '@drkit/spec';
import type { HttpTransport } from '@drkit/http';

/** Objects per RetrievePropertiesEx page when the caller does not say (--page-size). */
const DEFAULT_PAGE_SIZE = 500;

/**
 * vCenter or ESXi over the vSphere SOAP API. Light on purpose: the registry imports every
 * definition to list schemes, the implementation loads when an adapter is made.
 */
export const vsphereAdapter = defineAdapter<HttpTransport>({
  specificationVersion: 'v1',
  kind: 'vsphere',
  schemes: ['vsphere'],
  connection: 'https',
  usage: 'vsphere://user@host[:port][/sdk]',
  options: [
    { flag: '--page-size <n>', description: 'objects per RetrievePropertiesEx page (default 500)', integer: true },
  ],
  async parseEndpoint(endpoint) {
    const { parseVSphereEndpoint } = await import('./vsphere-endpoint.js');
    const ep = parseVSphereEndpoint(endpoint);
    return {
      display: ep.display,
      url: ep.url,
      host: ep.host,
      port: ep.port,
      username: ep.username,
      secretPrompt: `password for ${ep.display}: `,
      details: { path: ep.path },
    };
  },
  async create(ep, c) {
    const { createVSphereAdapter } = await import('./vsphere-adapter.js');
    return createVSphereAdapter({
      transport: c.transport,
      credentials: { username: ep.username!, password: c.secret },
      endpoint: ep.display,
      path: String(ep.details?.path ?? '/sdk'),
      maxObjects: pageSize(c.options) ?? DEFAULT_PAGE_SIZE,
    });
  },
  async fromFixture(fixture, c) {
    const { createVSphereAdapter } = await import('./vsphere-adapter.js');
    const recorded = fixture.parameters?.maxObjects;
    // Replay compares requests with credentials redacted, so any values match.
    return createVSphereAdapter({
      transport: c.transport,
      credentials: { username: 'replay', password: async () => 'replay' },
      endpoint: fixture.endpoint,
      maxObjects: pageSize(c.options) ?? (typeof recorded === 'number' ? recorded : undefined),
    });
  },
  recordParameters: (_ep, c) => ({ maxObjects: pageSize(c.options) ?? DEFAULT_PAGE_SIZE }),
});

function pageSize(options: Record<string, unknown>): number | undefined {
  return typeof options.pageSize === 'number' ? options.pageSize : undefined;
}
