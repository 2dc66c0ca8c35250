import { defineAdapter } from '@drkit/spec';
import type { SshRunner } from '@drkit/ssh';
import { sshEndpoint } from '@drkit/ssh/url';

/** Opens an SSH session (the host program's login, recorded or replayed). */
type SessionOpener = (signal?: AbortSignal) => Promise<SshRunner>;

interface PhysicalOptions {
  disk?: string[];
  preHook?: string;
  postHook?: string;
  compress?: boolean;
}

/** A physical Linux or Windows server over SSH. Light: the implementation loads on create. */
export const physicalAdapter = defineAdapter<SessionOpener>({
  specificationVersion: 'v1',
  kind: 'physical',
  schemes: ['ssh'],
  connection: 'ssh',
  usage: 'ssh://user@host[:port]',
  options: [
    {
      flag: '--disk <device>',
      description: 'protect only this block device, or on Windows this volume (D:) (repeat)',
      repeat: true,
    },
    { flag: '--pre-hook <command>', description: 'run on the host before an app-consistent freeze (sh -c)' },
    { flag: '--post-hook <command>', description: 'run on the host after the thaw (sh -c)' },
    { flag: '--compress', description: 'compress disk reads on the wire (zlib): for slow links, at host CPU cost' },
  ],
  parseEndpoint: (endpoint) => sshEndpoint(endpoint, 'ssh'),
  async create(_ep, c) {
    const { createPhysicalAdapter } = await import('./physical-adapter.js');
    const { disk, preHook, postHook, compress } = c.options as PhysicalOptions;
    return createPhysicalAdapter({
      runner: c.transport,
      ...(disk && disk.length > 0 && { disks: disk }),
      ...(compress === true && { compress: true }),
      ...((preHook || postHook) && {
        hooks: { ...(preHook && { pre: ['sh', '-c', preHook] }), ...(postHook && { post: ['sh', '-c', postHook] }) },
      }),
    });
  },
  async fromFixture(fixture, c) {
    const { createPhysicalAdapter } = await import('./physical-adapter.js');
    const disks = typeof fixture.parameters?.disks === 'string' ? fixture.parameters.disks.split(',') : undefined;
    return createPhysicalAdapter({
      runner: c.transport,
      ...(disks && { disks }),
      compress: fixture.parameters?.compress === true,
    });
  },
  // A replay must ask for the same disks, framed the same way.
  recordParameters(_ep, c) {
    const { disk, compress } = c.options as PhysicalOptions;
    return { ...(disk && disk.length > 0 && { disks: disk.join(',') }), ...(compress === true && { compress: true }) };
  },
});
