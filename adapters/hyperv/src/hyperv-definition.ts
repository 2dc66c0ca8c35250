import { defineAdapter } from '@drkit/spec';
import type { SshRunner } from '@drkit/ssh';
import { sshEndpoint } from '@drkit/ssh/url';

/**
 * A Hyper-V host reached through its OpenSSH server, PowerShell inside, with the same SSH
 * login as ssh://. Light: the implementation loads on create.
 */
export const hypervAdapter = defineAdapter<() => Promise<SshRunner>>({
  specificationVersion: 'v1',
  kind: 'hyperv',
  schemes: ['hyperv'],
  connection: 'ssh',
  usage: 'hyperv://user@host[:port]',
  parseEndpoint: (endpoint) => sshEndpoint(endpoint, 'hyperv'),
  create: async (ep, c) =>
    (await import('./create-hyperv-adapter.js')).createHyperVAdapter({ sshRunner: c.transport, endpoint: ep.display }),
  fromFixture: async (fixture, c) =>
    (await import('./create-hyperv-adapter.js')).createHyperVAdapter({
      sshRunner: c.transport,
      endpoint: fixture.endpoint,
    }),
});
