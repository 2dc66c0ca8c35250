import { execFileSync } from 'node:child_process';

/** Is this filesystem frozen? A second freeze of a frozen one fails with EBUSY; one that succeeds is undone at once. */
export function isFrozen(mountpoint: string): boolean {
  try {
    execFileSync('fsfreeze', ['-f', mountpoint], { stdio: 'pipe' });
  } catch {
    return true;
  }
  execFileSync('fsfreeze', ['-u', mountpoint]);
  return false;
}
