import type { SshRunner } from '@drkit/ssh';
import { powershellSessionOver, type PowerShellSession, type PowerShellSessionOptions } from './ps-session.js';

/**
 * PowerShell processes one connection may keep. Each is a powershell.exe on the host
 * (~60 MB) and one SSH channel: OpenSSH allows 10 per connection (MaxSessions), and the block
 * helper's streams need theirs, so 4 leaves room for them. A group's calls on one host run
 * up to this many side by side (its checkpoints are taken together, not one by one).
 */
export const DEFAULT_POWERSHELL_SESSIONS = 4;

export interface PowerShellPoolOptions extends PowerShellSessionOptions {
  /** Most PowerShell processes at once on this connection. Default DEFAULT_POWERSHELL_SESSIONS. */
  sessions?: number;
}

/**
 * Long-lived PowerShell sessions on one SSH connection, started as calls overlap: a call goes
 * to an idle session, else to a new one while there are fewer than `sessions`, else to the
 * least busy. One call at a time on a session, so calls made one after another still run in
 * order; calls made together may finish in any order. A recorder or replayer
 * (`SshRunner.singleStream`) gets one session: which of several streams answers a call
 * depends on timing a replay cannot reproduce.
 */
export function powershellPool(ssh: SshRunner, options: PowerShellPoolOptions = {}): PowerShellSession {
  const { sessions: wanted, ...sessionOptions } = options;
  const max = ssh.singleStream ? 1 : Math.max(1, wanted ?? DEFAULT_POWERSHELL_SESSIONS);
  const sessions: PowerShellSession[] = [];
  const pick = (): PowerShellSession => {
    const idle = sessions.find((s) => s.pending === 0);
    if (idle) return idle;
    if (sessions.length < max) {
      const s = powershellSessionOver(ssh, sessionOptions);
      sessions.push(s);
      return s;
    }
    return sessions.reduce((a, b) => (b.pending < a.pending ? b : a));
  };
  return {
    invoke: (operation, input, opts) => pick().invoke(operation, input, opts),
    get starts() {
      return sessions.reduce((n, s) => n + s.starts, 0);
    },
    get pending() {
      return sessions.reduce((n, s) => n + s.pending, 0);
    },
    async warm(wanted = 1) {
      const n = Math.min(max, Math.max(1, wanted));
      while (sessions.length < n) sessions.push(powershellSessionOver(ssh, sessionOptions));
      await Promise.all(sessions.slice(0, n).map((s) => s.warm()));
    },
    async close() {
      await Promise.all(sessions.map((s) => s.close()));
    },
  };
}
