import { defineAdapter } from '@drkit/spec';
import type { SshRunner } from '@drkit/ssh';
import { sshEndpoint } from '@drkit/ssh/url';

/**
 * A System Center VMM server reached through its OpenSSH server, PowerShell inside, with the same SSH
 * login as ssh://. Light: the implementation loads on create.
 */
export const vmmAdapter = defineAdapter<() => Promise<SshRunner>>({
  specificationVersion: 'v1',
  kind: 'vmm',
  schemes: ['vmm'],
  connection: 'ssh',
  usage: 'vmm://user@host[:port]',
  parseEndpoint: (endpoint) => sshEndpoint(endpoint, 'vmm'),
  create: async (ep, c) =>
    (await import('./create-vmm-adapter.js')).createVmmAdapter({ ssh: c.transport, endpoint: ep.display }),
  fromFixture: async (fixture, c) =>
    (await import('./create-vmm-adapter.js')).createVmmAdapter({ ssh: c.transport, endpoint: fixture.endpoint }),
});
