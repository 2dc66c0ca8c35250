import { powershellOverSsh, type PowerShellRunner } from '@drkit/powershell';
import { SshSession, type SshEndpoint, type SshRunner } from '@drkit/ssh';
import { HyperVAdapter } from './hyperv-adapter.js';

export type CreateHyperVAdapterOptions =
  | { ssh: SshEndpoint; endpoint?: string }
  | { sshRunner: () => Promise<SshRunner>; endpoint: string }
  | { powershell: PowerShellRunner; endpoint: string };

/**
 * A Hyper-V adapter over one of three ways in: the host's OpenSSH server (Windows
 * PowerShell 5.1 via -EncodedCommand), an SSH runner (recording, replay, a stub host),
 * or any PowerShellRunner (local pwsh).
 */
export function createHyperVAdapter(options: CreateHyperVAdapterOptions): HyperVAdapter {
  if ('powershell' in options) return new HyperVAdapter({ runner: async () => options.powershell, endpoint: options.endpoint });
  let session: Promise<SshRunner> | undefined;
  const open = 'ssh' in options ? () => SshSession.open(options.ssh) : options.sshRunner;
  const ssh = () => (session ??= open());
  const endpoint = 'ssh' in options ? options.endpoint ?? `hyperv://${options.ssh.username}@${options.ssh.host}${options.ssh.port && options.ssh.port !== 22 ? `:${options.ssh.port}` : ''}` : options.endpoint;
  return new HyperVAdapter({
    endpoint,
    runner: async () => powershellOverSsh(await ssh()),
    close: async () => {
      if (session) await (await session.catch(() => undefined))?.close();
      session = undefined;
    },
  });
}
