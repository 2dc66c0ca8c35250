import http from 'node:http';
import https from 'node:https';
import tls, { type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';

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
  | { t: 'chunk'; id: number; data: Uint8Array }
  | { t: 'end'; id: number }
  | { t: 'abort'; id: number };

export type FromWorker =
  | { t: 'ack'; id: number }
  | { t: 'done'; id: number; status: number; headers: Record<string, string | string[]> }
  | { t: 'error'; id: number; message: string; code?: string };

/** The code a pin mismatch comes back with (the pool turns it into `tls-mismatch`). */
export const PIN_MISMATCH = 'DRKIT_PIN_MISMATCH';

function serve(data: UploadWorkerData): void {
  const port = parentPort!;
  const post = (m: FromWorker) => port.postMessage(m);
  const agent = data.origin.startsWith('https:')
    ? new PinnedHttpsAgent(data.tls, data.pin)
    : new http.Agent({ keepAlive: true });
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
      // Acknowledged once the socket took it: the pool sends the next chunks as these land.
      requests.get(m.id)?.write(m.data, () => post({ t: 'ack', id: m.id }));
    } else if (m.t === 'end') requests.get(m.id)?.end();
    else if (m.t === 'abort') {
      requests.get(m.id)?.destroy();
      requests.delete(m.id);
    }
  });
}

/** Keep-alive HTTPS whose sockets are handed over only once a pinned certificate matched. */
class PinnedHttpsAgent extends https.Agent {
  constructor(
    private readonly trust: ConnectionOptions,
    private readonly pin: string | undefined,
  ) {
    // A resumed session is not re-checked: pinned connections always do a full handshake.
    super({ keepAlive: true, ...trust, ...(pin && { maxCachedSessions: 0 }) });
  }

  override createConnection(
    options: ConnectionOptions,
    callback: (error: Error | null, socket?: Duplex) => void,
  ): Duplex | undefined {
    if (!this.pin) return tls.connect({ ...options, ...this.trust });
    const socket: TLSSocket = tls.connect({ ...options, ...this.trust, rejectUnauthorized: false });
    let done = false;
    const finish = (error: Error | null) => {
      if (done) return;
      done = true;
      if (error) {
        socket.destroy();
        callback(error);
      } else callback(null, socket);
    };
    socket.once('secureConnect', () => {
      const seen = (socket.getPeerCertificate().fingerprint256 ?? '').replace(/:/g, '').toUpperCase();
      if (seen === this.pin) finish(null);
      else
        finish(
          Object.assign(
            new Error(`certificate thumbprint ${seen.match(/../g)?.join(':')} does not match the pinned one`),
            {
              code: PIN_MISMATCH,
            },
          ),
        );
    });
    socket.once('error', (error) => finish(error));
    return undefined;
  }
}

if ((workerData as { role?: string } | undefined)?.role === UPLOAD_WORKER_ROLE) serve(workerData as UploadWorkerData);
