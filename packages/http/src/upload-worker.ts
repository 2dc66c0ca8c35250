import http from 'node:http';
import https from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { parentPort, workerData } from 'node:worker_threads';
import { CheckedHttpsAgent } from './checked-https-agent.js';
import { fingerprintHex, formatThumbprint } from './thumbprint.js';

/**
 * An upload thread of upload-pool.ts: it owns its connections and does their TLS, so ten disk
 * uploads encrypt on as many cores as the pool has rather than all on the main thread. Only
 * Node's own modules are loaded here — a thread starts in milliseconds, not with drkit's
 * module graph. Role-checked like the hash worker, so importing this file does nothing.
 */
export const UPLOAD_WORKER_ROLE = 'drkit-upload-pool';

export interface UploadWorkerData {
  role: typeof UPLOAD_WORKER_ROLE;
  origin: string;
  /** tls.connect options of the transport's policy (CA, rejectUnauthorized, SNI). */
  tls: ConnectionOptions;
  /** 64 upper-case hex digits: the certificate must have this SHA-256 thumbprint. */
  pin?: string;
  /** Longest silence of a connection (no byte taken, no answer) before the upload fails. */
  idleTimeoutMs: number;
}

export type ToWorker =
  | { t: 'start'; id: number; method: string; path: string; headers: Record<string, string> }
  /** `moved`: the chunk's memory was transferred here; it goes back with the ack for reuse. */
  | { t: 'chunk'; id: number; data: Uint8Array; moved: boolean }
  | { t: 'end'; id: number }
  | { t: 'abort'; id: number };

export type FromWorker =
  | { t: 'ack'; id: number; data?: Uint8Array }
  | { t: 'done'; id: number; status: number; headers: Record<string, string | string[]> }
  | { t: 'error'; id: number; message: string; code?: string };

/** The code a pin mismatch comes back with (the pool turns it into `tls-mismatch`). */
export const PIN_MISMATCH = 'DRKIT_PIN_MISMATCH';

function serve(data: UploadWorkerData): void {
  const port = parentPort!;
  const post = (m: FromWorker) => port.postMessage(m);
  const pin = data.pin;
  const agent = !data.origin.startsWith('https:')
    ? new http.Agent({ keepAlive: true })
    : pin
      ? new CheckedHttpsAgent({ keepAlive: true, ...data.tls }, (socket) => {
          const seen = fingerprintHex(socket.getPeerCertificate().fingerprint256 ?? '');
          if (seen !== pin)
            throw Object.assign(
              new Error(`certificate thumbprint ${formatThumbprint(seen)} does not match the pinned one`),
              {
                code: PIN_MISMATCH,
              },
            );
        })
      : new https.Agent({ keepAlive: true, ...data.tls });
  const requests = new Map<number, http.ClientRequest>();
  port.on('message', (m: ToWorker) => {
    if (m.t === 'start') {
      const url = new URL(m.path, data.origin);
      const request = (url.protocol === 'https:' ? https : http).request(url, {
        method: m.method,
        headers: m.headers,
        agent,
      });
      requests.set(m.id, request);
      request.setTimeout(data.idleTimeoutMs, () =>
        request.destroy(Object.assign(new Error(`no progress for ${data.idleTimeoutMs} ms`), { code: 'ETIMEDOUT' })),
      );
      let failed = false;
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (failed) return;
        failed = true;
        requests.delete(m.id);
        post({ t: 'error', id: m.id, message: error.message, ...(error.code && { code: error.code }) });
      });
      request.on('response', (response) => {
        response.resume();
        response.on('end', () => {
          requests.delete(m.id);
          // An answer before the whole body (a 401, a 507) ends the upload: the rest is not sent.
          if (!request.writableFinished) request.destroy();
          post({ t: 'done', id: m.id, status: response.statusCode ?? 0, headers: response.headers as never });
        });
        response.on('error', (error) => request.emit('error', error));
      });
    } else if (m.t === 'chunk') {
      // Acknowledged once the socket took it (encrypted, or in the kernel): the pool sends the
      // next chunks as these land, and a moved chunk's memory, free now, goes back with the ack
      // for the caller to read the next ones into rather than into new memory.
      requests.get(m.id)?.write(m.data, () => {
        if (m.moved)
          port.postMessage({ t: 'ack', id: m.id, data: m.data } satisfies FromWorker, [m.data.buffer as ArrayBuffer]);
        else post({ t: 'ack', id: m.id });
      });
    } else if (m.t === 'end') requests.get(m.id)?.end();
    else if (m.t === 'abort') {
      requests.get(m.id)?.destroy();
      requests.delete(m.id);
    }
  });
}

if ((workerData as { role?: string } | undefined)?.role === UPLOAD_WORKER_ROLE) serve(workerData as UploadWorkerData);
