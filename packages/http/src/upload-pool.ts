import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DrkitError } from '@drkit/core';
import { mapNetworkError } from './http-errors.js';
import type { UploadRequest, UploadResult } from './http-transport.js';
import { normalizeThumbprint, tlsConnectOptions, type TlsPolicy } from './tls-policy.js';
import {
  PIN_MISMATCH,
  UPLOAD_WORKER_ROLE,
  type FromWorker,
  type ToWorker,
  type UploadWorkerData,
} from './upload-worker.js';

/** Chunks of one upload handed to its thread and not yet taken by the socket, at most. */
const UNACKED = 2;

/** Run from the sources (tests, tsx), the built worker in dist/ is used; with none, there is no pool. */
function workerUrl(): URL | undefined {
  const here = import.meta.url;
  const url = here.endsWith('.ts') ? new URL('../dist/upload-worker.js', here) : new URL('./upload-worker.js', here);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

export interface UploadPool {
  put(request: UploadRequest): Promise<UploadResult>;
  close(): Promise<void>;
}

interface Upload {
  /** The thread it went to. */
  thread: number;
  acked: (data?: Uint8Array) => void;
  settle: (result: UploadResult | Error) => void;
}

/**
 * Large request bodies (disk images) sent from worker threads that own their connections and
 * their TLS: one process uploading ten disks otherwise encrypts all of them on its main
 * thread, which a profile of `drkit recover` showed as its bottleneck. Chunks move to the
 * thread without a copy where the caller's buffer is its own (a checked point chunk is); the
 * caller's stream is read only as fast as the socket takes it. Undefined where the built
 * worker is missing: the transport then sends bodies itself.
 */
export function createUploadPool(
  origin: string,
  policy: TlsPolicy,
  idleTimeoutMs: number,
  threads = Math.min(4, availableParallelism()),
): UploadPool | undefined {
  const url = workerUrl();
  if (!url) return undefined;
  const host = new URL(origin).hostname.replace(/^\[|\]$/g, '');
  const data: UploadWorkerData = {
    role: UPLOAD_WORKER_ROLE,
    origin,
    tls: tlsConnectOptions(policy, host),
    ...(policy.mode === 'pin' && { pin: normalizeThumbprint(policy.sha256) }),
    idleTimeoutMs,
  };
  const workers: Array<Worker | undefined> = [];
  const uploads = new Map<number, Upload>();
  let next = 0;

  const worker = (index: number): Worker => {
    if (!workers[index]) {
      const w = new Worker(url, { workerData: data });
      w.on('message', (m: FromWorker) => {
        const upload = uploads.get(m.id);
        if (!upload) return;
        if (m.t === 'ack') upload.acked(m.data);
        else if (m.t === 'done') upload.settle({ status: m.status, headers: m.headers });
        else
          upload.settle(
            m.code === PIN_MISMATCH
              ? new DrkitError('tls-mismatch', `${origin}: ${m.message}`, { retryable: false })
              : mapNetworkError(Object.assign(new Error(m.message), m.code && { code: m.code }), origin),
          );
      });
      // A thread that died fails its own uploads only, and the next upload gets a new one.
      w.on('error', (error) => {
        if (workers[index] === w) workers[index] = undefined;
        for (const u of [...uploads.values()]) if (u.thread === index) u.settle(mapNetworkError(error, origin));
      });
      // Idle threads must not keep a finished CLI alive.
      w.unref();
      workers[index] = w;
    }
    return workers[index]!;
  };

  return {
    async put(request: UploadRequest): Promise<UploadResult> {
      const id = next++;
      const thread = id % threads;
      const w = worker(thread);
      const post = (m: ToWorker, transfer?: ArrayBuffer[]) => w.postMessage(m, transfer);
      let unacked = 0;
      // Chunks sent, oldest first (acks come in order): a shared one is the caller's again at its ack.
      const sent: Array<Uint8Array | undefined> = [];
      let wake: (() => void) | undefined;
      let outcome: UploadResult | Error | undefined;
      const settled = new Promise<UploadResult>((resolve, reject) => {
        uploads.set(id, {
          thread,
          acked: (data) => {
            unacked--;
            const shared = sent.shift();
            const back = data ?? shared;
            if (back) request.recycle?.(back);
            wake?.();
          },
          settle: (result) => {
            if (outcome) return;
            outcome = result;
            uploads.delete(id);
            wake?.();
            if (result instanceof Error) reject(result);
            else resolve(result);
          },
        });
      });
      settled.catch(() => {});
      const abort = () => {
        post({ t: 'abort', id });
        uploads
          .get(id)
          ?.settle(mapNetworkError(request.signal?.reason ?? new DOMException('aborted', 'AbortError'), origin));
      };
      if (request.signal?.aborted) abort();
      request.signal?.addEventListener('abort', abort, { once: true });
      w.ref();
      try {
        post({ t: 'start', id, method: request.method, path: request.path, headers: request.headers });
        for await (const chunk of request.body) {
          while (unacked >= UNACKED && !outcome) await new Promise<void>((r) => (wake = r));
          if (outcome) break;
          unacked++;
          // The thread reads shared memory in place, takes the caller's memory where it is the
          // chunk's alone, and else gets a copy.
          const shared = typeof SharedArrayBuffer !== 'undefined' && chunk.buffer instanceof SharedArrayBuffer;
          const owned =
            !shared &&
            chunk.byteOffset === 0 &&
            chunk.byteLength === chunk.buffer.byteLength &&
            chunk.buffer instanceof ArrayBuffer;
          sent.push(shared ? chunk : undefined);
          post(
            { t: 'chunk', id, data: owned || shared ? chunk : new Uint8Array(chunk), moved: owned },
            owned ? [chunk.buffer as ArrayBuffer] : undefined,
          );
        }
        if (!outcome) post({ t: 'end', id });
        return await settled;
      } catch (error) {
        if (!outcome) abort();
        throw error;
      } finally {
        request.signal?.removeEventListener('abort', abort);
        if (uploads.size === 0) for (const x of workers) x?.unref();
      }
    },
    async close() {
      await Promise.all(workers.map((w) => w?.terminate()));
    },
  };
}
