import type { DrkitErrorCode } from '@drkit/core';

/**
 * Kept free of runtime imports: `drkit --help` loads nothing but the command table. A
 * DrkitError is recognized by its `Symbol.for` marker, as DrkitError.isInstance does.
 */
const MARKER = Symbol.for('drkit.error');

/** What the exit code and the last line need of an error. */
export interface TypedFailure {
  code: DrkitErrorCode;
  message: string;
}

/** Ctrl-C, as a typed failure (exit 130). */
export const INTERRUPTED: TypedFailure = Object.assign(
  { code: 'aborted' as const, message: 'interrupted by Ctrl-C' },
  { [MARKER]: true },
);

/** Exit codes: stable, documented in the README. */
export const EXIT = {
  ok: 0,
  failure: 1,
  badInput: 2,
  auth: 3,
  tls: 4,
  unreachable: 5,
  integrity: 6,
  noSpace: 7,
  /** Interrupted (Ctrl-C): 128 + SIGINT, as shells report it. */
  interrupted: 130,
} as const;

export function exitCodeFor(error: unknown): number {
  switch (asTyped(error).code) {
    case 'aborted':
      return EXIT.interrupted;
    case 'no-space':
      return EXIT.noSpace;
    case 'bad-input':
      return EXIT.badInput;
    case 'auth-failed':
    case 'permission-denied':
      return EXIT.auth;
    case 'tls-mismatch':
    case 'host-key-mismatch':
      return EXIT.tls;
    case 'unreachable':
    case 'timeout':
      return EXIT.unreachable;
    case 'integrity':
      return EXIT.integrity;
    default:
      return EXIT.failure;
  }
}

/** One line, no stack, no secret: what a person needs to act. */
export function oneLineReason(error: unknown): string {
  const e = asTyped(error);
  return `drkit: ${e.message.split('\n')[0]} [${e.code}]`;
}

/**
 * Any error as a typed failure: file-system errors by their errno (whatever property holds
 * a code — a child process's is its numeric exit status), a parse error as `protocol`.
 */
export function asTyped(error: unknown): TypedFailure {
  const message = (error as Error)?.message ?? String(error);
  if (typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MARKER] === true)
    return { code: (error as TypedFailure).code, message };
  const code = (error as { code?: unknown })?.code;
  const errno = typeof code === 'string' ? code : undefined;
  const mapped =
    errno === 'ENOSPC' || errno === 'EDQUOT'
      ? 'no-space'
      : errno === 'EACCES' || errno === 'EPERM'
        ? 'permission-denied'
        : errno === 'ENOENT'
          ? 'not-found'
          : error instanceof SyntaxError
            ? 'protocol'
            : 'platform';
  return { code: mapped, message };
}
