import { powershellSession, type PowerShellRunner } from '@drkit/powershell';
import type { SshEndpoint, SshRunner } from '@drkit/ssh';
import { HyperVAdapter } from './hyperv-adapter.js';

export type CreateHyperVAdapterOptions =
  | ({ ssh: SshEndpoint; endpoint?: string } & PoolOptions)
  | ({ sshRunner: () => Promise<SshRunner>; endpoint: string } & PoolOptions)
  | { powershell: PowerShellRunner; endpoint: string };

interface PoolOptions {
  /** PowerShell processes at once on the host (DEFAULT_POWERSHELL_SESSIONS): a group's calls run side by side. */
  powershellSessions?: number;
}

/**
 * A Hyper-V adapter over one of three ways in: the host's OpenSSH server (Windows
 * PowerShell 5.1 via -EncodedCommand), an SSH runner (recording, replay, a stub host),
 * or any PowerShellRunner (local pwsh).
 */
export function createHyperVAdapter(options: CreateHyperVAdapterOptions): HyperVAdapter {
  if ('powershell' in options)
    return new HyperVAdapter({ runner: async () => options.powershell, endpoint: options.endpoint });
  const session = powershellSession('ssh' in options ? options.ssh : options.sshRunner, {
    ...(options.powershellSessions && { sessions: options.powershellSessions }),
  });
  const endpoint =
    'ssh' in options
      ? (options.endpoint ??
        `hyperv://${options.ssh.username}@${options.ssh.host}${options.ssh.port && options.ssh.port !== 22 ? `:${options.ssh.port}` : ''}`)
      : options.endpoint;
  return new HyperVAdapter({ endpoint, runner: session.runner, close: session.close, ssh: session.ssh });
}
