import pRetry from 'p-retry';
import { DrkitError, abortError, isRetryable } from '@drkit/spec';

export interface RetryOptions {
  /** Total time budget across all attempts and waits, in ms. Default 60 s. */
  budgetMs?: number;
  /** Most attempts, the first included. Default 8. */
  attempts?: number;
  /** First back-off delay in ms. Default 1000; doubles per retry, with jitter, up to maxDelayMs. */
  minDelayMs?: number;
  /** Default 30 000. */
  maxDelayMs?: number;
  signal?: AbortSignal;
  /** Called before each retry with the error that caused it. */
  onRetry?: (error: DrkitError, attempt: number) => void;
}

/**
 * Runs `fn` until it succeeds, retrying only errors marked `retryable` (transient faults:
 * network, busy, session expiry). Permanent faults — authentication, permission, invalid
 * state, bad input — and untyped errors fail at once, as the design brief's retry rules
 * demand. Back-off is exponential with jitter (p-retry's 1–2× randomization) and a wait is
 * clamped so the whole run never passes the budget.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  try {
    return await pRetry(fn, {
      retries: Math.max(0, (options.attempts ?? 8) - 1),
      minTimeout: options.minDelayMs ?? 1000,
      maxTimeout: options.maxDelayMs ?? 30_000,
      factor: 2,
      randomize: true,
      maxRetryTime: options.budgetMs ?? 60_000,
      signal: options.signal,
      shouldRetry: ({ error, attemptNumber }) => {
        if (!isRetryable(error)) return false;
        options.onRetry?.(error as DrkitError, attemptNumber);
        return true;
      },
    });
  } catch (error) {
    if (options.signal?.aborted && !DrkitError.isInstance(error)) throw abortError(options.signal);
    throw error;
  }
}
