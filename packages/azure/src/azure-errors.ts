import { DrkitError } from '@drkit/core';

interface RestErrorLike {
  name?: string;
  statusCode?: number;
  code?: string;
  message?: string;
  details?: { errorCode?: string };
}

const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'REQUEST_SEND_ERROR',
]);
const TLS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|altnames/i;

/**
 * A storage call's failure as a drkit error: the service's own error code decides, and no
 * message carries a URL (a SAS is a query string) or a header. Authentication failures are
 * never retryable: an expired SAS or a wrong key does not heal by itself.
 */
export function azureError(error: unknown, what: string): DrkitError {
  if (DrkitError.isInstance(error)) return error;
  const e = (error ?? {}) as RestErrorLike & { cause?: unknown };
  if (e.name === 'AbortError') return new DrkitError('aborted', `${what}: aborted`, { cause: error });
  const code = e.details?.errorCode ?? e.code ?? '';
  const status = e.statusCode ?? 0;
  const say = (c: DrkitError['code'], why: string, retryable?: boolean) =>
    new DrkitError(c, `${what}: ${why}`, { cause: error, ...(retryable !== undefined && { retryable }) });
  // A pinned thumbprint that did not match (azure-agent.ts): its own message says which.
  if (code === 'tls-mismatch') return say('tls-mismatch', (e.message ?? '').split('\n')[0]!, false);
  if (TLS.test(code) || TLS.test(e.message ?? ''))
    return say(
      'tls-mismatch',
      `the blob endpoint's certificate is not trusted (${code || 'TLS'}); give --blob-ca-file or --blob-thumbprint`,
      false,
    );
  if (status === 403 && /Permission|ResourceTypeMismatch|SourceIP|Protocol/.test(code))
    return say('permission-denied', `the credential may not do this (${code})`, false);
  // AuthenticationFailed (Azure), AuthorizationFailure (Azurite's answer to a bad signature).
  if (status === 401 || status === 403)
    return say(
      'auth-failed',
      `the storage account refused the credential (${code || status}): a wrong key, an expired or revoked SAS, or a network rule`,
      false,
    );
  if (code === 'ContainerNotFound') return say('not-found', 'the container does not exist');
  if (code === 'BlobNotFound') return say('not-found', 'a blob the store needs is missing');
  if (code === 'InvalidResourceName' || code === 'OutOfRangeInput' || code === 'InvalidUri')
    return say('bad-input', `Azure refuses the name (${code})`, false);
  if (code === 'LeaseAlreadyPresent' || code === 'LeaseIdMismatchWithLeaseOperation')
    return say('busy', 'the store is busy: another drkit run holds its lock', true);
  if (code === 'LeaseLost' || code === 'LeaseNotPresentWithBlobOperation' || code === 'LeaseIdMismatch')
    return say('conflict', "the store's lock was lost to another run", false);
  if (status === 503 || status === 500 || code === 'ServerBusy')
    return say('busy', `the storage service is throttling or failing (${status} ${code})`, true);
  if (NETWORK.has(code) || NETWORK.has((e.cause as { code?: string })?.code ?? ''))
    return say('unreachable', `the blob endpoint does not answer (${code})`, true);
  return say('platform', `${status ? `${status} ` : ''}${code || (e.message ?? String(error)).split('\n')[0]}`);
}

/** Whether the service said "not there" (the blob or container). */
export function isNotFound(error: unknown): boolean {
  return (error as RestErrorLike)?.statusCode === 404;
}
