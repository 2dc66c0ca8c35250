import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DrkitError } from '@drkit/core';
import { checkHostKey, knownHostName, parseKnownHosts } from './known-hosts.js';

/**
 * How a server's identity is checked before any credential is sent. Verification is the
 * default; `insecure` exists for labs and must be asked for by name.
 */
export type HostKeyPolicy =
  /** `optional`: a missing file counts as empty (the default ~/.ssh/known_hosts), so the refusal names the fingerprint to pin. */
  | { kind: 'known-hosts'; file: string; optional?: boolean }
  /** OpenSSH's form: `SHA256:` + unpadded base64 of the key blob's SHA-256. */
  | { kind: 'fingerprint'; sha256: string }
  | { kind: 'insecure' };

/** The fingerprint ssh-keygen -l prints for a key blob. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

export function normalizeFingerprint(text: string): string {
  const body = text
    .trim()
    .replace(/^SHA256:/i, '')
    .replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]{43}$/.test(body))
    throw new DrkitError(
      'bad-input',
      'a host key fingerprint looks like SHA256:<43 base64 characters> (ssh-keygen -lf <key>)',
    );
  return `SHA256:${body}`;
}

/** A synchronous check for ssh2's hostVerifier; known_hosts is read before connecting. */
export type HostKeyCheck = (key: Buffer) => DrkitError | undefined;

export async function hostKeyCheck(
  policy: HostKeyPolicy,
  host: string,
  port: number,
  warn: (message: string) => void,
): Promise<HostKeyCheck> {
  switch (policy.kind) {
    case 'insecure':
      warn(
        `${knownHostName(host, port)}: host key NOT verified (--insecure); anyone on the path can impersonate this server`,
      );
      return () => undefined;
    case 'fingerprint': {
      const pinned = normalizeFingerprint(policy.sha256);
      return (key) => {
        const seen = fingerprintOf(key);
        return seen === pinned
          ? undefined
          : mismatch(`${knownHostName(host, port)}: host key ${seen} does not match the pinned ${pinned}`, seen);
      };
    }
    case 'known-hosts': {
      let text = '';
      try {
        text = await readFile(policy.file, 'utf8');
      } catch (cause) {
        if (!(policy.optional && (cause as NodeJS.ErrnoException).code === 'ENOENT'))
          throw new DrkitError('bad-input', `cannot read known_hosts file ${policy.file}`, { cause });
      }
      const entries = parseKnownHosts(text);
      return (key) => {
        const verdict = checkHostKey(entries, host, port, key);
        const name = knownHostName(host, port);
        const seen = fingerprintOf(key);
        switch (verdict.kind) {
          case 'match':
            return undefined;
          case 'revoked':
            return mismatch(`${name}: host key ${seen} is marked @revoked in ${policy.file}`, seen);
          case 'mismatch':
            return mismatch(
              `${name}: host key ${seen} differs from the ${verdict.knownTypes.join('/')} key(s) in ${policy.file} — the host was reinstalled, or someone is impersonating it`,
              seen,
            );
          case 'unknown':
            return mismatch(
              `${name} is not in ${policy.file}; add its key (ssh-keyscan) or pin it with --fingerprint ${seen}`,
              seen,
            );
        }
      };
    }
  }
}

function mismatch(message: string, seen: string): DrkitError {
  return new DrkitError('host-key-mismatch', message, { retryable: false, details: { fingerprint: seen } });
}
