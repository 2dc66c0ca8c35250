import type { Adapter } from '@drkit/core';
import { createHyperVAdapter } from '@drkit/hyperv';
import { recordSsh, Redactor, replaySsh } from '@drkit/record';
import { parseSshUrl, SshSession, type SshRunner } from '@drkit/ssh';
import { createVmmAdapter } from '@drkit/vmm';
import type { ConnectionFlags, OpenedAdapter } from './open-adapter.js';
import { sshLogin } from './ssh-login.js';

/** Windows management endpoints reached through their OpenSSH server, PowerShell inside. */
export type WindowsScheme = 'hyperv' | 'vmm';

const FACTORIES: Record<WindowsScheme, (ssh: () => Promise<SshRunner>, endpoint: string) => Adapter> = {
  hyperv: (ssh, endpoint) => createHyperVAdapter({ sshRunner: ssh, endpoint }),
  // On the VMM server itself (or a console host that can reach it as `localhost`), as the SSH user.
  vmm: (ssh, endpoint) => createVmmAdapter({ ssh, endpoint }),
};

/** hyperv://user@host (a Hyper-V host) or vmm://user@host (a VMM server), with the same SSH login as ssh://. */
export async function openWindows(scheme: WindowsScheme, endpoint: string, flags: ConnectionFlags, warn: (line: string) => void): Promise<OpenedAdapter> {
  const ep = parseSshUrl(endpoint, scheme);
  const { ssh, password } = await sshLogin(ep, flags, warn);
  if (!flags.record) return { adapter: FACTORIES[scheme](() => SshSession.open(ssh), ep.display), finish: async () => {} };
  // Recorded through the same login; the password and the host are redacted in memory.
  const recorder = recordSsh(() => SshSession.open(ssh), flags.record, new Redactor({ secrets: password ? [password] : [], hosts: [ep.host] }));
  const adapter = FACTORIES[scheme](() => recorder.connect(), ep.display);
  return {
    adapter,
    finish: () => recorder.finish({ adapter: scheme, endpoint: new Redactor({ hosts: [ep.host] }).text(ep.display), notes: 'recorded with drkit --record', ...(adapter.site.product && { product: adapter.site.product }) }),
  };
}

export async function replayWindows(scheme: WindowsScheme, dir: string): Promise<OpenedAdapter> {
  const replay = await replaySsh(dir);
  return { adapter: FACTORIES[scheme](() => replay.connect(), replay.manifest.endpoint), finish: async () => {} };
}
