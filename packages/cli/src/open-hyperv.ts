import { createHyperVAdapter } from '@drkit/hyperv';
import { recordSsh, Redactor, replaySsh } from '@drkit/record';
import { parseSshUrl, SshSession } from '@drkit/ssh';
import type { ConnectionFlags, OpenedAdapter } from './open-adapter.js';
import { sshLogin } from './ssh-login.js';

/** A standalone Hyper-V host through its OpenSSH server: hyperv://user@host[:port]. */
export async function openHyperV(endpoint: string, flags: ConnectionFlags, warn: (line: string) => void): Promise<OpenedAdapter> {
  const ep = parseSshUrl(endpoint, 'hyperv');
  const { ssh, password } = await sshLogin(ep, flags, warn);
  if (!flags.record) return { adapter: createHyperVAdapter({ ssh, endpoint: ep.display }), finish: async () => {} };
  // Recorded through the same login; the password and the host are redacted in memory.
  const recorder = recordSsh(() => SshSession.open(ssh), flags.record, new Redactor({ secrets: password ? [password] : [], hosts: [ep.host] }));
  const adapter = createHyperVAdapter({ sshRunner: () => recorder.connect(), endpoint: ep.display });
  return {
    adapter,
    finish: () => recorder.finish({ adapter: 'hyperv', endpoint: new Redactor({ hosts: [ep.host] }).text(ep.display), notes: 'recorded with drkit --record', ...(adapter.site.product && { product: adapter.site.product }) }),
  };
}

export async function replayHyperV(dir: string): Promise<OpenedAdapter> {
  const replay = await replaySsh(dir);
  return { adapter: createHyperVAdapter({ sshRunner: () => replay.connect(), endpoint: replay.manifest.endpoint }), finish: async () => {} };
}
