import { DrkitError } from '@drkit/core';

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const TIMEOUT = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const TLS_TRUST = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
]);

/** Maps a socket- or TLS-level failure to a typed error. `where` names the endpoint, no secrets. */
export function mapNetworkError(error: unknown, where: string): DrkitError {
  if (DrkitError.isInstance(error)) return error;
  const code = (error as { code?: string }).code ?? '';
  if (code === 'UND_ERR_ABORTED' || (error as Error).name === 'AbortError') {
    return new DrkitError('aborted', `request to ${where} aborted`, { cause: error, retryable: false });
  }
  if (TLS_TRUST.has(code)) {
    return new DrkitError(
      'tls-mismatch',
      `${where}: certificate not trusted (${code}); pin it with --thumbprint <sha256> or trust its CA`,
      { cause: error, fault: code },
    );
  }
  if (TIMEOUT.has(code))
    return new DrkitError('timeout', `${where}: timed out (${code})`, { cause: error, fault: code });
  if (UNREACHABLE.has(code))
    return new DrkitError('unreachable', `${where}: unreachable (${code})`, { cause: error, fault: code });
  return new DrkitError('unreachable', `${where}: ${(error as Error).message ?? String(error)}`, {
    cause: error,
    fault: code || undefined,
  });
}
