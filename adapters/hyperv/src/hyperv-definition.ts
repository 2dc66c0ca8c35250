import { defineAdapter } from '@drkit/core/define';
import type { SshRunner } from '@drkit/ssh';

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
  async parseEndpoint(endpoint) {
    const { parseSshUrl } = await import('@drkit/ssh');
    const ep = parseSshUrl(endpoint, 'hyperv');
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
  const { createHyperVAdapter } = await import('./create-hyperv-adapter.js');
  return createHyperVAdapter({ sshRunner: transport, endpoint });
}
