import { DrkitError } from '@drkit/core';

/** ssh2's connection-level errors, as typed DrkitErrors. */
export function mapConnectError(error: unknown, where: string): DrkitError {
  if (DrkitError.isInstance(error)) return error;
  const e = error as NodeJS.ErrnoException & { level?: string };
  if (e.level === 'client-authentication')
    return new DrkitError('auth-failed', `${where}: authentication failed (no method the server accepts worked)`, {
      cause: e,
      retryable: false,
    });
  if (e.level === 'client-timeout')
    return new DrkitError('timeout', `${where}: the SSH handshake timed out`, { cause: e });
  if (
    e.code === 'ECONNREFUSED' ||
    e.code === 'EHOSTUNREACH' ||
    e.code === 'ENETUNREACH' ||
    e.code === 'ENOTFOUND' ||
    e.code === 'EAI_AGAIN' ||
    e.code === 'ETIMEDOUT'
  ) {
    return new DrkitError('unreachable', `${where}: ${e.code}`, { cause: e, fault: e.code });
  }
  if (e.code === 'ECONNRESET' || e.code === 'EPIPE' || /closed|reset|ended/i.test(e.message ?? '')) {
    return new DrkitError('unreachable', `${where}: connection lost (${e.message})`, { cause: e, fault: e.code });
  }
  return new DrkitError('protocol', `${where}: ${e.message ?? String(error)}`, { cause: e });
}

/**
 * A remote command's end as a typed error. 126/127 are the shell's "cannot execute" and
 * "not found"; a signal has no exit code (ssh2 reports it instead).
 */
export function exitError(name: string, end: { code?: number; signal?: string }, stderr: string): DrkitError {
  const first = stderr.split('\n').find((l) => l.trim()) ?? '';
  const why = first ? `: ${first.trim().slice(0, 300)}` : '';
  if (end.signal)
    return new DrkitError('platform', `${name} was killed by SIG${end.signal}${why}`, {
      fault: `SIG${end.signal}`,
      details: { signal: end.signal },
    });
  const code = end.code ?? -1;
  if (code === 127)
    return new DrkitError('missing-command', `${name}: command not found on the host${why}`, {
      fault: 'exit 127',
      details: { exitCode: code },
      retryable: false,
    });
  if (code === 126)
    return new DrkitError('permission-denied', `${name}: cannot execute${why}`, {
      fault: 'exit 126',
      details: { exitCode: code },
    });
  if (/permission denied|operation not permitted/i.test(first))
    return new DrkitError('permission-denied', `${name} exited with ${code}${why}`, {
      fault: `exit ${code}`,
      details: { exitCode: code },
    });
  return new DrkitError('platform', `${name} exited with ${code}${why}`, {
    fault: `exit ${code}`,
    details: { exitCode: code },
  });
}
