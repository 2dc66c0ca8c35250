import type { TLSSocket } from 'node:tls';
import { Pool, buildConnector } from 'undici';
import { DrkitError } from '@drkit/core';
import type { HttpRequest, HttpResponse, HttpTransport } from './http-transport.js';
import { mapNetworkError } from './http-errors.js';
import { fingerprintHex, formatThumbprint, normalizeThumbprint, type TlsPolicy } from './tls-policy.js';

export interface HttpTransportOptions {
  /** `https://host:port` or `http://host:port`; a path is ignored. */
  url: string;
  tls?: TlsPolicy;
  /** Keep-alive connections to the endpoint. Default 4. */
  connections?: number;
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
    rejectUnauthorized: policy.mode === 'verify',
    ...(policy.mode === 'verify' && policy.ca ? { ca: policy.ca } : {}),
    // A resumed session would skip nothing we check, but a fresh handshake is simplest to reason about.
    maxCachedSessions: pin ? 0 : 100,
  });
  const connect: buildConnector.connector = (opts, callback) =>
    base(opts, (error, socket) => {
      if (error || !socket) return callback(mapNetworkError(error, origin), null);
      if (pin) {
        const seen = fingerprintHex((socket as TLSSocket).getPeerCertificate().fingerprint256 ?? '');
        if (seen !== pin) {
          socket.destroy();
          return callback(
            new DrkitError('tls-mismatch', `${origin}: certificate thumbprint ${formatThumbprint(seen)} does not match the pinned one`, {
              retryable: false,
              fault: 'thumbprint-mismatch',
            }),
            null,
          );
        }
      }
      callback(null, socket);
    });
  const pool = new Pool(origin, {
    connect,
    connections: options.connections ?? 4,
    headersTimeout: options.headersTimeoutMs ?? 120_000,
    bodyTimeout: options.bodyTimeoutMs ?? 120_000,
    keepAliveTimeout: 30_000,
  });

  return {
    origin,
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
      await pool.close();
    },
  };
}

async function* mapBodyErrors(body: AsyncIterable<Uint8Array>, origin: string): AsyncIterable<Uint8Array> {
  try {
    yield* body;
  } catch (error) {
    throw mapNetworkError(error, origin);
  }
}
