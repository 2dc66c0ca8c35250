import { SshSession, type SshEndpoint, type SshRunner } from '@drkit/ssh';
import type { PowerShellRunner } from './powershell-runner.js';
import { powershellSessionOver, type PowerShellSession } from './ps-session.js';

export interface PowerShellOverSshSession {
  runner: () => Promise<PowerShellRunner>;
  /** The SSH session itself, for streams the runner does not carry (the block helper). */
  ssh: () => Promise<SshRunner>;
  close: () => Promise<void>;
}

/**
 * One SSH session, opened on first use and shared by every call, carrying one long-lived
 * PowerShell (see powershellSessionOver): for a Windows host's OpenSSH server (an
 * `SshEndpoint`) or any SshRunner (recording, replay, a stub host).
 */
export function powershellSession(target: SshEndpoint | (() => Promise<SshRunner>)): PowerShellOverSshSession {
  let session: Promise<SshRunner> | undefined;
  const open = typeof target === 'function' ? target : () => SshSession.open(target);
  const ssh = () => (session ??= open());
  return {
    runner: async () => sharedPowerShell(await ssh()),
    ssh,
    close: async () => {
      const s = await session?.catch(() => undefined);
      session = undefined;
      if (!s) return;
      await shells.get(s)?.close();
      shells.delete(s);
      await s.close();
    },
  };
}

const shells = new WeakMap<SshRunner, PowerShellSession>();

/** The PowerShell session of this SSH connection, started on its first call and kept while the connection lives. */
export function sharedPowerShell(ssh: SshRunner): PowerShellSession {
  let shell = shells.get(ssh);
  if (!shell) {
    shell = powershellSessionOver(ssh);
    shells.set(ssh, shell);
  }
  return shell;
}
