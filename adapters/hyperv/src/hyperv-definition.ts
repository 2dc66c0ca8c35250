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
  options: [
    {
      flag: '--ps-sessions <n>',
      description:
        "PowerShell processes at once on the host (default 4; OpenSSH allows 10 channels): a group's calls run side by side up to this",
      integer: true,
    },
  ],
  parseEndpoint: (endpoint) => sshEndpoint(endpoint, 'hyperv'),
  create: async (ep, c) =>
    (await import('./create-hyperv-adapter.js')).createHyperVAdapter({
      sshRunner: c.transport,
      endpoint: ep.display,
      ...sessions(c.options),
    }),
  fromFixture: async (fixture, c) =>
    (await import('./create-hyperv-adapter.js')).createHyperVAdapter({
      sshRunner: c.transport,
      endpoint: fixture.endpoint,
    }),
});

function sessions(options: Record<string, unknown>): { powershellSessions?: number } {
  const n = options.psSessions;
  return typeof n === 'number' ? { powershellSessions: n } : {};
}
