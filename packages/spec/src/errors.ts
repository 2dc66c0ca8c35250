import { setTimeout as sleep } from 'node:timers/promises';
import type { CapabilityName } from './capabilities.js';
/**
 * One error base for every adapter and transport. `code` is stable and documented;
 * `retryable` tells the retry helper what to do; `fault` keeps the platform's own name
 * (vSphere `NotAuthenticated`, a WMI job state, an HTTP status) so nothing is lost in mapping.
 */
export type DrkitErrorCode =
  | 'bad-input'
  | 'auth-failed'
  | 'permission-denied'
  | 'session-expired'
  | 'tls-mismatch'
  | 'host-key-mismatch'
  | 'unreachable'
  | 'timeout'
  | 'aborted'
  | 'not-found'
  | 'invalid-state'
  | 'conflict'
  | 'busy'
  | 'unsupported'
  | 'missing-command'
  | 'protocol'
  | 'replay-mismatch'
  | 'integrity'
  | 'no-space'
  | 'platform';

/** Codes that describe a passing condition: a retry can succeed. */
// Low space is transient in the seeds' retry ladder: an operator or retention frees it.
const TRANSIENT: ReadonlySet<DrkitErrorCode> = new Set([
  'unreachable',
  'timeout',
  'busy',
  'session-expired',
  'no-space',
]);

export interface DrkitErrorOptions {
  cause?: unknown;
  /** Overrides the default derived from `code`. */
  retryable?: boolean;
  /** The platform's own fault or status name, kept verbatim. */
  fault?: string;
  /** Extra, non-secret facts for the caller. */
  details?: Record<string, unknown>;
}

const MARKER = Symbol.for('drkit.error');

export class DrkitError extends Error {
  readonly code: DrkitErrorCode;
  readonly retryable: boolean;
  readonly fault: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly [MARKER] = true;

  constructor(code: DrkitErrorCode, message: string, options: DrkitErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'DrkitError';
    this.code = code;
    this.retryable = options.retryable ?? TRANSIENT.has(code);
    this.fault = options.fault;
    this.details = options.details;
  }

  /** Works across duplicated package copies, where `instanceof` does not. */
  static isInstance(value: unknown): value is DrkitError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }
}

/**
 * An ability the adapter did not declare in its capabilities — the one meaning of
 * `unsupported`. A command, cmdlet or interpreter missing on a host is `missing-command`.
 */
export class UnsupportedError extends DrkitError {
  readonly capability: CapabilityName;
  constructor(capability: CapabilityName, message?: string, options: DrkitErrorOptions = {}) {
    super('unsupported', message ?? `not supported by this endpoint: ${capability}`, { ...options, retryable: false });
    this.name = 'UnsupportedError';
    this.capability = capability;
  }
}

export function isRetryable(error: unknown): boolean {
  return DrkitError.isInstance(error) && error.retryable;
}

/** Wraps an AbortSignal's reason as a typed, non-retryable error. */
export function abortError(signal: AbortSignal): DrkitError {
  const reason: unknown = signal.reason;
  if (DrkitError.isInstance(reason)) return reason;
  return new DrkitError('aborted', 'operation aborted', { cause: reason, retryable: false });
}

/** Waits `ms`, or fails at once with the typed abort error when `signal` fires. */
export async function delay(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    if (signal?.aborted) throw abortError(signal);
    throw error;
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}
