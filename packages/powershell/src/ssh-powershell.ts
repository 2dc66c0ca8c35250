import { SshSession, type SshEndpoint, type SshRunner } from '@drkit/ssh';
import { powershellOverSsh, type PowerShellRunner } from './powershell-runner.js';

export interface PowerShellOverSshSession {
  runner: () => Promise<PowerShellRunner>;
  /** The SSH session itself, for streams the runner does not carry (the block helper). */
  ssh: () => Promise<SshRunner>;
  close: () => Promise<void>;
}

/**
 * One SSH session, opened on first use and shared by every call, carrying PowerShell: for
 * a Windows host's OpenSSH server (an `SshEndpoint`) or any SshRunner (recording, replay,
 * a stub host).
 */
export function powershellSession(target: SshEndpoint | (() => Promise<SshRunner>)): PowerShellOverSshSession {
  let session: Promise<SshRunner> | undefined;
  const open = typeof target === 'function' ? target : () => SshSession.open(target);
  return {
    runner: async () => powershellOverSsh(await (session ??= open())),
    ssh: () => (session ??= open()),
    close: async () => {
      if (session) await (await session.catch(() => undefined))?.close();
      session = undefined;
    },
  };
}
