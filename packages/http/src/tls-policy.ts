import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { DrkitError } from '@drkit/core';
import { fingerprintHex, formatThumbprint } from './thumbprint.js';

export { fingerprintHex, formatThumbprint };

/**
 * How a TLS endpoint is trusted. Verification is the default; a self-signed endpoint is
 * pinned by the SHA-256 thumbprint of its certificate; `insecure` trusts anything and the
 * caller must warn. Each policy applies to one connection pool — never process-wide.
 */
export type TlsPolicy =
  | { mode: 'verify'; ca?: string | Buffer }
  | { mode: 'pin'; sha256: string }
  | { mode: 'insecure' };

/** Accepts `AB:CD:…`, `abcd…` or `SHA256:`-prefixed hex; returns 64 upper-case hex digits. */
export function normalizeThumbprint(value: string): string {
  const hex = value
    .replace(/^sha256:/i, '')
    .replace(/[:\s]/g, '')
    .toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) {
    throw new DrkitError(
      'bad-input',
      "a thumbprint must be the certificate's SHA-256 digest: 64 hex digits, colons allowed",
    );
  }
  return hex;
}

/** What a policy asks of the handshake: CA checks for `verify`, none for `pin` (checkPin does it) and `insecure`. */
export function tlsTrustOptions(policy: TlsPolicy): Pick<ConnectionOptions, 'rejectUnauthorized' | 'ca'> {
  return {
    rejectUnauthorized: policy.mode === 'verify',
    ...(policy.mode === 'verify' && policy.ca ? { ca: policy.ca } : {}),
  };
}

/** tls.connect options for a policy and host (SNI for names, not addresses). */
export function tlsConnectOptions(policy: TlsPolicy, host: string): ConnectionOptions {
  return { ...tlsTrustOptions(policy), ...(isIP(host) === 0 && { servername: host }) };
}

/** Throws tls-mismatch unless the peer's certificate has the pinned SHA-256 thumbprint. */
export function checkPin(socket: TLSSocket, sha256: string, origin: string): void {
  const pin = normalizeThumbprint(sha256);
  const seen = fingerprintHex(socket.getPeerCertificate().fingerprint256 ?? '');
  if (seen !== pin) {
    throw new DrkitError(
      'tls-mismatch',
      `${origin}: certificate thumbprint ${formatThumbprint(seen)} does not match the pinned one`,
      {
        retryable: false,
        fault: 'thumbprint-mismatch',
      },
    );
  }
}

/** What a command line says about trusting one endpoint, and the option names it said it with. */
export interface TlsChoice {
  caFile?: string;
  thumbprint?: string;
  insecure?: boolean;
  /** The options' names for messages: `--ca-file`, `--thumbprint`, `--insecure`, or a target's own. */
  names: { caFile: string; thumbprint: string; insecure: string };
  /** What an insecure connection exposes, for its warning (`the password`, `the data`). */
  exposes: string;
}

/**
 * The policy for one endpoint from a command line: at most one of a CA file, a pinned
 * thumbprint and insecure (which warns); verification otherwise. A CA file that cannot be
 * read throws the file system's error.
 */
export async function chooseTlsPolicy(choice: TlsChoice, warn: (line: string) => void): Promise<TlsPolicy> {
  const { names } = choice;
  if ([choice.thumbprint, choice.insecure, choice.caFile].filter(Boolean).length > 1)
    throw new DrkitError('bad-input', `choose one of ${names.thumbprint}, ${names.caFile} and ${names.insecure}`);
  if (choice.thumbprint) return { mode: 'pin', sha256: normalizeThumbprint(choice.thumbprint) };
  if (choice.insecure) {
    warn(
      `drkit: WARNING: ${names.insecure}: the server certificate is not checked; anyone on the path can read ${choice.exposes}`,
    );
    return { mode: 'insecure' };
  }
  if (choice.caFile) return { mode: 'verify', ca: await readFile(choice.caFile) };
  return { mode: 'verify' };
}
