import type { TLSSocket } from 'node:tls';
import { Pool, buildConnector } from 'undici';
import { Readable } from 'node:stream';
import type { HttpRequest, HttpResponse, HttpTransport, UploadRequest, UploadResult } from './http-transport.js';
import { mapNetworkError } from './http-errors.js';
import { checkPin, normalizeThumbprint, tlsTrustOptions, type TlsPolicy } from './tls-policy.js';
import { createRangeReader } from './range-reader.js';
import { createUploadPool, type UploadPool } from './upload-pool.js';

/** API connections per endpoint when the caller does not say (the CLI's `--connections`). */
export const DEFAULT_CONNECTIONS = 64;
/** Range-read connections per endpoint when the caller does not say. */
export const DEFAULT_RANGE_CONNECTIONS = 8;

export interface HttpTransportOptions {
  /** `https://host:port` or `http://host:port`; a path is ignored. */
  url: string;
  tls?: TlsPolicy;
  /**
   * API calls in flight to the endpoint at most (connections open as the work needs them, so
   * a group of N members on one endpoint gets up to N, and a discovery one). Default
   * DEFAULT_CONNECTIONS (64): a real vCenter's reverse proxy serves far more, and a group's
   * snapshot calls must not wait in line — their window is the recovery point's skew.
   */
  connections?: number;
  /** Disk-read (Range GET) connections at most. Default DEFAULT_RANGE_CONNECTIONS (8), chosen by measurement (README). */
  rangeConnections?: number;
  /** Per-request limit on waiting for response headers. Default 120 s. */
  headersTimeoutMs?: number;
  /** Longest pause between two body chunks. Default 120 s. */
  bodyTimeoutMs?: number;
}

/**
 * undici's pooled HTTP/1.1 client with per-pool TLS trust. A pinned endpoint is checked
 * in the connector, after the handshake and before a single request byte is written.
 */
export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  const url = new URL(options.url);
  const origin = `${url.protocol}//${url.host}`;
  const policy: TlsPolicy = options.tls ?? { mode: 'verify' };
  const pin = policy.mode === 'pin' ? normalizeThumbprint(policy.sha256) : undefined;
  const base = buildConnector({
    ...tlsTrustOptions(policy),
    // A resumed session would skip nothing we check, but a fresh handshake is simplest to reason about.
    maxCachedSessions: pin ? 0 : 100,
  });
  const connect: buildConnector.connector = (opts, callback) =>
    base(opts, (error, socket) => {
      if (error || !socket) return callback(mapNetworkError(error, origin), null);
      if (pin) {
        try {
          checkPin(socket as TLSSocket, pin, origin);
        } catch (mismatch) {
          socket.destroy();
          return callback(mismatch as Error, null);
        }
      }
      callback(null, socket);
    });
  const pool = new Pool(origin, {
    connect,
    connections: options.connections ?? DEFAULT_CONNECTIONS,
    headersTimeout: options.headersTimeoutMs ?? 120_000,
    bodyTimeout: options.bodyTimeoutMs ?? 120_000,
    keepAliveTimeout: 30_000,
  });

  // Disk reads take their own sockets: bodies land in the caller's buffer (range-reader.ts).
  const ranges = createRangeReader({
    origin,
    tls: policy,
    connections: options.rangeConnections ?? DEFAULT_RANGE_CONNECTIONS,
    idleTimeoutMs: options.bodyTimeoutMs ?? 120_000,
  });

  // Upload threads start with the first large body (recovery), not with every transport.
  let uploads: UploadPool | undefined | null = null;
  const uploadPool = () => {
    if (uploads === null) uploads = createUploadPool(origin, policy, options.bodyTimeoutMs ?? 120_000);
    return uploads;
  };

  const transport: HttpTransport = {
    origin,
    getInto: (request, into) => ranges.getInto(request.path, request.headers, into, request.signal),
    async upload(request: UploadRequest): Promise<UploadResult> {
      const pool = uploadPool();
      if (pool) return pool.put(request);
      const response = await transport.request({ ...request, body: Readable.from(request.body) });
      response.cancel();
      return { status: response.status, headers: response.headers };
    },
    async request(request: HttpRequest): Promise<HttpResponse> {
      try {
        const res = await pool.request({
          method: request.method,
          path: request.path,
          headers: request.headers,
          body: request.body,
          signal: request.signal,
        });
        const body = res.body;
        return {
          status: res.statusCode,
          headers: res.headers as HttpResponse['headers'],
          body: mapBodyErrors(body, origin),
          // Destroying an unread body makes undici emit an AbortError nobody asked for.
          cancel: () => {
            body.on('error', () => {});
            body.destroy();
          },
        };
      } catch (error) {
        throw mapNetworkError(error, origin);
      }
    },
    async close() {
      ranges.close();
      await uploads?.close();
      await pool.close();
    },
  };
  return transport;
}

async function* mapBodyErrors(body: AsyncIterable<Uint8Array>, origin: string): AsyncIterable<Uint8Array> {
  try {
    yield* body;
  } catch (error) {
    throw mapNetworkError(error, origin);
  }
}
