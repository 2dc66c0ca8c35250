import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { DrkitError, processAlive } from '@drkit/core';
import { azureError, isNotFound } from './azure-errors.js';

/** Azure's shortest lease: a crashed writer's lock frees itself within this. */
const LEASE_SECONDS = 15;
const RENEW_MS = 5_000;

export interface StoreLease {
  /** The error writes must fail with once the lease was lost (renewals kept failing). */
  lost(): Error | undefined;
  /** Set when this lock was taken over from a holder whose process had died. */
  readonly tookOverFrom?: string;
  release(): Promise<void>;
}

/**
 * The writer's lock: a 15-second lease on the store's `lock` blob, renewed every 5 s while
 * the run lasts. A second writer waits up to `waitMs` (longer than a lease, so a crashed
 * writer's lock is always outlived) and then fails with `busy`. The holder writes its host
 * and process id on the lock: a writer on the same host whose holder's process is gone
 * (killed, crashed) breaks the lease at once instead of waiting it out.
 */
export async function acquireStoreLease(
  container: ContainerClient,
  name: string,
  waitMs: number,
  signal?: AbortSignal,
): Promise<StoreLease> {
  const blob = container.getBlockBlobClient(name);
  const lease = blob.getBlobLeaseClient(randomUUID());
  const deadline = Date.now() + waitMs;
  let tookOverFrom: string | undefined;
  for (;;) {
    try {
      // The lock blob is made by the first run only: every later run acquires at once.
      await lease.acquireLease(LEASE_SECONDS, { abortSignal: signal }).catch(async (error: unknown) => {
        if (!isNotFound(error)) throw error;
        await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } }).catch((e: unknown) => {
          // Another writer made it first: the lease decides between us.
          const status = (e as { statusCode?: number }).statusCode;
          if (status !== 409 && status !== 412) throw e;
        });
        await lease.acquireLease(LEASE_SECONDS, { abortSignal: signal });
      });
      // Names this process on the lock — refused if a breaker took the lease meanwhile.
      await blob.setMetadata(holder(), { conditions: { leaseId: lease.leaseId }, abortSignal: signal });
      break;
    } catch (error) {
      const e = azureError(error, 'locking the store');
      // Our fresh lease was broken before we named ourselves: try again.
      if (e.code === 'conflict' && Date.now() < deadline) continue;
      const gone = e.code === 'busy' ? await deadHolder(blob) : undefined;
      if (gone) {
        // Only while the lock still names the dead process: a live writer that named itself
        // since changed the blob's ETag, and this break is refused.
        await blob
          .getBlobLeaseClient()
          .breakLease(0, { conditions: { ifMatch: gone.etag } })
          .catch(() => {});
        tookOverFrom = gone.holder;
        continue;
      }
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
    ...(tookOverFrom && { tookOverFrom }),
    async release() {
      clearInterval(timer);
      if (lostError) return;
      // A released lock names no holder: only a crashed one's name stays for others to check.
      await blob.setMetadata({}, { conditions: { leaseId: lease.leaseId } }).catch(() => {});
      await lease.releaseLease().catch(() => {});
    },
  };
}

/** This process, as the lock's metadata names it. */
function holder(): Record<string, string> {
  return { drkithost: hostId(), drkitpid: String(process.pid) };
}

/** The lock's ETag and holder when its holder is a process of this host that no longer runs. */
async function deadHolder(blob: BlockBlobClient): Promise<{ etag?: string; holder: string } | undefined> {
  try {
    const props = await blob.getProperties();
    const meta = props.metadata ?? {};
    const pid = Number(meta.drkitpid);
    const dead = meta.drkithost === hostId() && Number.isSafeInteger(pid) && pid > 0 && !processAlive(pid);
    return dead ? { ...(props.etag && { etag: props.etag }), holder: `process ${pid} of this host` } : undefined;
  } catch {
    return undefined;
  }
}

/** The host name and, where there is one, the machine id (two containers may share a name); read once. */
let thisHost: string | undefined;
function hostId(): string {
  if (thisHost === undefined) {
    let id = '';
    try {
      id = readFileSync('/etc/machine-id', 'utf8').trim();
    } catch {}
    thisHost = `${hostname()}${id ? `/${id}` : ''}`.slice(0, 200);
  }
  return thisHost;
}
