import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DrkitError } from '@drkit/core';
import type { HostKeyPolicy, SshEndpoint, SshUrl } from '@drkit/ssh';
import type { ConnectionFlags } from './connection-flags.js';
import { passwordSource } from './password-source.js';

/**
 * The SSH login for an endpoint reached over SSH (ssh://, hyperv://): the host key checked
 * by known_hosts (default ~/.ssh/known_hosts), a pinned fingerprint or --insecure (warns);
 * a key from --identity, else a password from the usual places. Returns the password too,
 * so a recording can redact it.
 */
export async function sshLogin(
  ep: SshUrl,
  flags: ConnectionFlags,
  warn: (line: string) => void,
): Promise<{ ssh: SshEndpoint; password?: string }> {
  const chosen = [flags.knownHosts, flags.fingerprint, flags.insecure].filter(Boolean).length;
  if (chosen > 1) throw new DrkitError('bad-input', 'choose one of --known-hosts, --fingerprint and --insecure');
  if (flags.thumbprint || flags.caFile)
    throw new DrkitError(
      'bad-input',
      `--thumbprint and --ca-file are for TLS endpoints; ${ep.display} is pinned with --fingerprint or --known-hosts`,
    );
  const hostKey: HostKeyPolicy = flags.fingerprint
    ? { kind: 'fingerprint', sha256: flags.fingerprint }
    : flags.insecure
      ? { kind: 'insecure' }
      : flags.knownHosts
        ? { kind: 'known-hosts', file: flags.knownHosts }
        : { kind: 'known-hosts', file: join(homedir(), '.ssh', 'known_hosts'), optional: true };
  let privateKey: Buffer | undefined;
  if (flags.identity) {
    try {
      privateKey = await readFile(flags.identity);
    } catch (cause) {
      throw new DrkitError('bad-input', `cannot read the identity file ${flags.identity}`, { cause });
    }
  }
  // A key needs no password; without one, the password comes from the usual places.
  const password = privateKey
    ? undefined
    : await passwordSource({ passwordFile: flags.passwordFile, prompt: `password for ${ep.display}: ` })();
  return {
    ssh: {
      host: ep.host,
      port: ep.port,
      username: ep.username,
      hostKey,
      ...(privateKey && { privateKey }),
      ...(password !== undefined && { password }),
      ...(process.env.DRKIT_KEY_PASSPHRASE && { passphrase: process.env.DRKIT_KEY_PASSPHRASE }),
      warn: (m) => warn(`drkit: WARNING: ${m}`),
    },
    ...(password !== undefined && { password }),
  };
}
