import { randomUUID } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { DrkitError } from '@drkit/core';
import { azureError } from './azure-errors.js';

/** Azure's shortest lease: a crashed writer's lock frees itself within this. */
const LEASE_SECONDS = 15;
const RENEW_MS = 5_000;

export interface StoreLease {
  /** The error writes must fail with once the lease was lost (renewals kept failing). */
  lost(): Error | undefined;
  release(): Promise<void>;
}

/**
 * The writer's lock: a 15-second lease on the store's `lock` blob, renewed every 5 s while
 * the run lasts. A second writer waits up to `waitMs` (longer than a lease, so a crashed
 * writer's lock is always outlived) and then fails with `busy`.
 */
export async function acquireStoreLease(
  container: ContainerClient,
  name: string,
  waitMs: number,
  signal?: AbortSignal,
): Promise<StoreLease> {
  const blob = container.getBlockBlobClient(name);
  try {
    if (!(await blob.exists())) await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } }).catch(() => {});
  } catch (error) {
    throw azureError(error, 'preparing the store lock');
  }
  const lease = blob.getBlobLeaseClient(randomUUID());
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await lease.acquireLease(LEASE_SECONDS, { abortSignal: signal });
      break;
    } catch (error) {
      const e = azureError(error, 'locking the store');
      if (e.code !== 'busy' || Date.now() >= deadline)
        throw e.code === 'busy'
          ? new DrkitError(
              'busy',
              `the store is busy: another drkit run holds its lock (${name}); try again when it ends (a crashed run's lock frees itself within ${LEASE_SECONDS} s)`,
              { retryable: true },
            )
          : e;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  let lostError: Error | undefined;
  let failures = 0;
  const timer = setInterval(() => {
    lease.renewLease().then(
      () => void (failures = 0),
      (error: unknown) => {
        // A renewal may miss a beat; three in a row is 15 s: the lease is gone.
        if (++failures >= 3 || azureError(error, '').code === 'conflict')
          lostError ??= new DrkitError(
            'conflict',
            `the store's lock (${name}) was lost; the run stops and resumes next time`,
          );
      },
    );
  }, RENEW_MS);
  timer.unref();
  return {
    lost: () => lostError,
    async release() {
      clearInterval(timer);
      if (!lostError) await lease.releaseLease().catch(() => {});
    },
  };
}
