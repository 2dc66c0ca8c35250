import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export type FakeHandler = (request: FakeRequest) => FakeResponse | Promise<FakeResponse>;

/** A one-shot fault: the next request matching `method` and `path` answers busy. */
export interface BusyFault {
  method: string;
  path: RegExp;
  status: 429 | 503;
  retryAfter?: string;
}

export interface FakeRestServer {
  url: string;
  /** With TLS: the self-signed certificate's SHA-256 thumbprint, for pinning. */
  thumbprint?: string;
  /** Every request seen, in order: method, path and query (no headers, no bodies). */
  log: string[];
  busyOnce(fault: BusyFault): void;
  stop(): Promise<void>;
}

/**
 * A loopback HTTP server for the fake arrays: JSON in, JSON out, a request log, and
 * busy answers (429/503 with Retry-After) injected on demand.
 */
export async function startFakeRestServer(
  handler: FakeHandler,
  options: { tls?: boolean; latencyMs?: number } = {},
): Promise<FakeRestServer> {
  const log: string[] = [];
  const busy: BusyFault[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
      const url = new URL(req.url ?? '/', 'http://fake');
      log.push(`${req.method} ${url.pathname}${url.search}`);
      const send = (r: FakeResponse) => {
        const text = r.body === undefined ? '' : JSON.stringify(r.body);
        res.writeHead(r.status, { ...(text && { 'content-type': 'application/json' }), ...r.headers });
        res.end(text);
      };
      const fault = busy.findIndex((f) => f.method === req.method && f.path.test(url.pathname));
      if (fault >= 0) {
        const [f] = busy.splice(fault, 1);
        return send({
          status: f!.status,
          headers: f!.retryAfter !== undefined ? { 'retry-after': f!.retryAfter } : {},
          body: { message: 'busy' },
        });
      }
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        send(
          await handler({
            method: req.method ?? 'GET',
            path: url.pathname,
            query: url.searchParams,
            headers: req.headers,
            body: text ? JSON.parse(text) : undefined,
          }),
        );
      } catch (error) {
        send({ status: 500, body: { message: `fake array fault: ${(error as Error).message}` } });
      }
    });
  };
  const cert = options.tls ? selfSignedCertificate() : undefined;
  const server: Server = cert ? createTlsServer({ key: cert.key, cert: cert.cert }, listener) : createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${cert ? 'https' : 'http'}://127.0.0.1:${port}`,
    ...(cert && { thumbprint: cert.thumbprint }),
    log,
    busyOnce: (f) => busy.push(f),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * ONTAP's `fields=` projection: only the named (dotted) fields, through arrays, plus
 * what every record carries (`uuid`, `name`).
 */
export function pick(record: unknown, fields: string[]): unknown {
  if (Array.isArray(record)) return record.map((r) => pick(r, fields));
  if (typeof record !== 'object' || record === null) return record;
  const out: Record<string, unknown> = {};
  const groups = new Map<string, string[]>();
  for (const f of fields) {
    const [head, ...rest] = f.split('.');
    if (!groups.has(head!)) groups.set(head!, []);
    if (rest.length > 0) groups.get(head!)!.push(rest.join('.'));
  }
  for (const [key, sub] of groups) {
    const value = (record as Record<string, unknown>)[key];
    if (value === undefined) continue;
    out[key] = sub.length === 0 ? value : pick(value, sub);
  }
  return out;
}

/** The value at a dotted path, for query filters like `location.volume.name=db`. */
export function at(record: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), record);
}

/** A throwaway self-signed certificate (openssl), as arrays ship out of the box. */
export function selfSignedCertificate(host = 'array.example.invalid'): {
  key: string;
  cert: string;
  thumbprint: string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'drkit-fake-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        `/CN=${host}`,
        '-addext',
        `subjectAltName=${/^[\d.]+$/.test(host) ? 'IP' : 'DNS'}:${host}`,
        '-days',
        '2',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert,
      thumbprint: new X509Certificate(cert).fingerprint256,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
