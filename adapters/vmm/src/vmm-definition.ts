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
  options: [
    {
      flag: '--run-as <DOMAIN\\user>',
      description:
        'connect to VMM as this account (Get-SCVMMServer -Credential), its password the secret drkit asks for; SSH then logs in with --identity',
    },
    { flag: '--vmm-server <name>', description: 'the VMM server as seen from the SSH host (default localhost)' },
    {
      flag: '--ps-sessions <n>',
      description:
        "PowerShell processes at once on the host (default 4; OpenSSH allows 10 channels): a group's calls run side by side up to this",
      integer: true,
    },
  ],
  parseEndpoint: (endpoint) => sshEndpoint(endpoint, 'vmm'),
  async create(ep, c) {
    const { runAs, vmmServer, psSessions } = c.options as { runAs?: string; vmmServer?: string; psSessions?: number };
    return (await import('./create-vmm-adapter.js')).createVmmAdapter({
      ssh: c.transport,
      endpoint: ep.display,
      ...(psSessions && { powershellSessions: psSessions }),
      ...(vmmServer && { server: vmmServer }),
      ...(runAs && { credential: { username: runAs, password: c.secret } }),
    });
  },
  // A recording keeps whether a run-as account was sent (its name and password are redacted,
  // so any stand-in matches on replay), and the server name the scripts connected to.
  recordParameters(_ep, c) {
    const { runAs, vmmServer } = c.options as { runAs?: string; vmmServer?: string };
    return { ...(runAs && { runAs: true }), ...(vmmServer && { vmmServer }) };
  },
  fromFixture: async (fixture, c) =>
    (await import('./create-vmm-adapter.js')).createVmmAdapter({
      ssh: c.transport,
      endpoint: fixture.endpoint,
      ...(typeof fixture.parameters?.vmmServer === 'string' && { server: fixture.parameters.vmmServer }),
      ...(fixture.parameters?.runAs === true && {
        credential: { username: 'replay', password: async () => 'replay' },
      }),
    }),
});
