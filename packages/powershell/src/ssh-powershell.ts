import { SshSession, type SshEndpoint, type SshRunner } from '@drkit/ssh';
import type { PowerShellRunner } from './powershell-runner.js';
import type { PowerShellSession } from './ps-session.js';
import { powershellPool, type PowerShellPoolOptions } from './ps-session-pool.js';

export interface PowerShellOverSshSession {
  runner: () => Promise<PowerShellRunner>;
  /** The SSH session itself, for streams the runner does not carry (the block helper). */
  ssh: () => Promise<SshRunner>;
  close: () => Promise<void>;
}

/**
 * One SSH session, opened on first use and shared by every call, carrying long-lived
 * PowerShell sessions (see powershellPool): for a Windows host's OpenSSH server (an
 * `SshEndpoint`) or any SshRunner (recording, replay, a stub host).
 */
export function powershellSession(
  target: SshEndpoint | (() => Promise<SshRunner>),
  options: PowerShellPoolOptions = {},
): PowerShellOverSshSession {
  let session: Promise<SshRunner> | undefined;
  const open = typeof target === 'function' ? target : () => SshSession.open(target);
  const ssh = () => (session ??= open());
  return {
    runner: async () => sharedPowerShell(await ssh(), options),
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

/** The PowerShell sessions of this SSH connection, started as calls need them and kept while the connection lives. */
export function sharedPowerShell(ssh: SshRunner, options: PowerShellPoolOptions = {}): PowerShellSession {
  let shell = shells.get(ssh);
  if (!shell) {
    shell = powershellPool(ssh, options);
    shells.set(ssh, shell);
  }
  return shell;
}
