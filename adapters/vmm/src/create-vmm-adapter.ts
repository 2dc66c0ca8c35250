import { powershellSession } from '@drkit/powershell';
import type { SshEndpoint, SshRunner } from '@drkit/ssh';
import { VmmAdapter, type VmmCredential } from './vmm-adapter.js';

export interface CreateVmmAdapterOptions {
  /** Where PowerShell runs: the VMM server's (or a console host's) OpenSSH server, or any SSH runner. */
  ssh: SshEndpoint | (() => Promise<SshRunner>);
  endpoint: string;
  /** The VMM server as seen from there. Default `localhost`. */
  server?: string;
  credential?: VmmCredential;
  /** PowerShell processes at once on the server (DEFAULT_POWERSHELL_SESSIONS): a group's calls run side by side. */
  powershellSessions?: number;
}

export function createVmmAdapter(options: CreateVmmAdapterOptions): VmmAdapter {
  const session = powershellSession(options.ssh, {
    ...(options.powershellSessions && { sessions: options.powershellSessions }),
  });
  return new VmmAdapter({
    runner: session.runner,
    close: session.close,
    endpoint: options.endpoint,
    server: options.server ?? 'localhost',
    ...(options.credential && { credential: options.credential }),
  });
}
