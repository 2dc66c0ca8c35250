import { DrkitError } from '@drkit/core';

/** Exit codes: stable, documented in the README. */
export const EXIT = {
  ok: 0,
  failure: 1,
  badInput: 2,
  auth: 3,
  tls: 4,
  unreachable: 5,
  integrity: 6,
} as const;

export function exitCodeFor(error: unknown): number {
  if (!DrkitError.isInstance(error)) return EXIT.failure;
  switch (error.code) {
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
  if (DrkitError.isInstance(error)) return `drkit: ${error.message.split('\n')[0]} [${error.code}]`;
  return `drkit: ${(error as Error)?.message ?? String(error)}`;
}
