import { describe, expect, it } from 'vitest';
import { DrkitError, UnsupportedError, isRetryable } from './errors.js';

describe('DrkitError', () => {
  it('derives retryable from the code, keeps cause and the platform fault name', () => {
    const cause = new Error('socket hang up');
    const e = new DrkitError('unreachable', 'down', { cause, fault: 'ECONNRESET' });
    expect(e.retryable).toBe(true);
    expect(e.cause).toBe(cause);
    expect(e.fault).toBe('ECONNRESET');
    expect(new DrkitError('auth-failed', 'no').retryable).toBe(false);
  });

  it('is recognised across package copies by its marker, not only instanceof', () => {
    const foreign = Object.assign(Object.create(Error.prototype), {
      [Symbol.for('drkit.error')]: true,
      code: 'busy',
      retryable: true,
    });
    expect(DrkitError.isInstance(foreign)).toBe(true);
    expect(isRetryable(foreign)).toBe(true);
    expect(DrkitError.isInstance(new Error('x'))).toBe(false);
  });

  it('makes UnsupportedError a never-retryable unsupported error naming the capability', () => {
    const e = new UnsupportedError('snapshot.app');
    expect(e).toBeInstanceOf(DrkitError);
    expect(e.code).toBe('unsupported');
    expect(e.retryable).toBe(false);
    expect(e.capability).toBe('snapshot.app');
  });
});
