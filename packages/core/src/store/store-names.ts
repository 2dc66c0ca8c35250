import { DrkitError } from '@drkit/spec';

/**
 * Point ids and disk keys become parts of paths (points/<seq>-<id>.json, journals/<id>/,
 * disks/<key>/). Read back from files they are data, not trusted: a manifest whose id is
 * `../../victim` once made prune delete a folder outside the store.
 */
const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isSafeName(value: unknown): value is string {
  return typeof value === 'string' && SAFE.test(value) && !value.includes('..');
}

export function checkSafeName(value: unknown, what: string): string {
  if (!isSafeName(value))
    throw new DrkitError(
      'integrity',
      `${what} ${JSON.stringify(String(value)).slice(0, 80)} is not a name the store writes`,
    );
  return value;
}
