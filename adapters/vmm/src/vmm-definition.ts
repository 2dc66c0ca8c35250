import { defineAdapter } from '@drkit/core/define';
import type { SshRunner } from '@drkit/ssh';

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
  async parseEndpoint(endpoint) {
    const { parseSshUrl } = await import('@drkit/ssh');
    const ep = parseSshUrl(endpoint, 'vmm');
    return { display: ep.display, host: ep.host, port: ep.port, username: ep.username, secretPrompt: `password for ${ep.display}: ` };
  },
  async create(ep, c) {
    return open(c.transport, ep.display);
  },
  async fromFixture(fixture, c) {
    return open(c.transport, fixture.endpoint);
  },
});

async function open(transport: () => Promise<SshRunner>, endpoint: string) {
  const { createVmmAdapter } = await import('./create-vmm-adapter.js');
  return createVmmAdapter({ ssh: transport, endpoint });
}
