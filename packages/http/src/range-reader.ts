import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { DrkitError } from '@drkit/core';
import { mapNetworkError } from './http-errors.js';
import { checkPin, tlsConnectOptions, type TlsPolicy } from './tls-policy.js';

export interface GetIntoResult {
  status: number;
  /** Lower-case names; the last value of a repeated header. */
  headers: Record<string, string>;
  /** True when the body was exactly `into.length` bytes and is now in `into`; else it was discarded. */
  filled: boolean;
  /**
   * Set when this reader does not read such an answer (no Content-Length: chunked, or until
   * close): nothing was read, the connection is dropped, and the caller takes its general
   * path. A result, not an error: `unsupported` means an undeclared capability.
   */
  fallback?: string;
}

export interface RangeReaderOptions {
  origin: string;
  tls: TlsPolicy;
  /** Keep-alive connections at most. */
  connections: number;
  /** Longest wait for the next bytes of an answer. */
  idleTimeoutMs: number;
}

/** Bodies discarded by reading them to the end (so the connection stays); anything larger closes it. */
const DRAIN_LIMIT = 64 * 1024;
const HEAD_LIMIT = 64 * 1024;

interface Conn {
  socket: Socket;
  /** Receives the first `n` bytes of `piece` each time the socket delivers, while an answer is awaited. */
  sink?: (piece: Buffer, n: number) => void;
  /** Where the next bytes should be decrypted to (the body's place in the caller's buffer); else the scratch buffer. */
  target?: () => Buffer;
  onFail?: (error: Error) => void;
}

/**
 * GETs whose bodies land straight in the caller's buffer: bulk reads of disk data (vSphere's
 * /folder). The sockets read through `onread`, so no Buffer is made and no stream runs per
 * 16 KiB TLS record; once an answer's headers are read, its body is decrypted directly into
 * its place in `into` (headers go to a scratch buffer). Measured on the simulator: Node's
 * https client and undici spend twice curl's CPU per byte, this about curl's. Only what disk
 * reads need: HTTP/1.1 GET, keep-alive, Content-Length bodies; anything else (chunked, no
 * length) comes back as a `fallback` result so the caller takes the general path. Trust is the
 * transport's: the same policy, the pin checked before a request byte is written.
 */
export function createRangeReader(options: RangeReaderOptions) {
  const url = new URL(options.origin);
  const secure = url.protocol === 'https:';
  const port = Number(url.port || (secure ? 443 : 80));
  const idle: Conn[] = [];
  const waiting: Array<(c: Conn | undefined) => void> = [];
  let open = 0;
  let closed = false;

  const dial = (): Promise<Conn> =>
    new Promise((resolve, reject) => {
      const conn: Conn = {} as Conn;
      const scratch = Buffer.allocUnsafe(64 * 1024);
      const onread = {
        buffer: () => conn.target?.() ?? scratch,
        callback: (n: number, piece: Buffer): boolean => {
          // Bytes nobody asked for (after an answer ended): the connection cannot be trusted for the next.
          if (!conn.sink) {
            conn.socket.destroy();
            return false;
          }
          conn.sink(piece, n);
          return true;
        },
      };
      const socket: Socket = secure
        ? connectTls({
            host: url.hostname,
            port,
            ...tlsConnectOptions(options.tls, url.hostname),
            onread,
          } as ConnectionOptions)
        : connectTcp({ host: url.hostname, port, onread });
      conn.socket = socket;
      const fail = (error: Error) => {
        socket.destroy();
        conn.onFail?.(mapNetworkError(error, options.origin));
      };
      socket.on('error', (error) => {
        reject(mapNetworkError(error, options.origin));
        fail(error);
      });
      socket.once('close', () => {
        // An idle connection the server closed (keep-alive timeout) leaves the pool.
        const i = idle.indexOf(conn);
        if (i >= 0) {
          idle.splice(i, 1);
          open--;
        }
        fail(Object.assign(new Error('connection closed'), { code: 'UND_ERR_CLOSED' }));
      });
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        try {
          if (options.tls.mode === 'pin') checkPin(socket as TLSSocket, options.tls.sha256, options.origin);
          resolve(conn);
        } catch (error) {
          socket.destroy();
          reject(error);
        }
      });
    });

  const take = async (): Promise<Conn> => {
    if (closed) throw new DrkitError('invalid-state', `${options.origin}: the range reader is closed`);
    const ready = idle.pop();
    if (ready) return ready;
    if (open < options.connections) {
      open++;
      try {
        return await dial();
      } catch (error) {
        open--;
        throw error;
      }
    }
    const next = await new Promise<Conn | undefined>((resolve) => waiting.push(resolve));
    return next ?? take();
  };
  const give = (conn: Conn, reusable: boolean) => {
    conn.sink = undefined;
    conn.target = undefined;
    conn.onFail = undefined;
    if (!reusable || closed || conn.socket.destroyed) {
      conn.socket.destroy();
      open--;
      waiting.shift()?.(undefined);
      return;
    }
    const next = waiting.shift();
    if (next) next(conn);
    else idle.push(conn);
  };

  return {
    async getInto(
      path: string,
      headers: Record<string, string>,
      into: Buffer,
      signal?: AbortSignal,
    ): Promise<GetIntoResult> {
      for (const [name, value] of Object.entries(headers)) {
        if (/[\r\n]/.test(name + value))
          throw new DrkitError('bad-input', `header ${name}: line breaks are not allowed`);
      }
      if (/[\s]/.test(path)) throw new DrkitError('bad-input', 'a request path cannot hold white space');
      signal?.throwIfAborted();
      const conn = await take();
      const lines = [
        `GET ${path} HTTP/1.1`,
        `Host: ${url.host}`,
        ...Object.entries(headers).map(([n, v]) => `${n}: ${v}`),
        '',
        '',
      ];
      return new Promise<GetIntoResult>((resolve, reject) => {
        let head = Buffer.alloc(0);
        let result: GetIntoResult | undefined;
        let remaining = 0;
        let at = 0;
        let keepAlive = true;
        // One timer, pushed back as bytes arrive (refresh: no new timer per 16 KiB record).
        const timer = setTimeout(
          () =>
            finish(
              new DrkitError('timeout', `${options.origin}: no answer for ${options.idleTimeoutMs} ms`, {
                retryable: true,
              }),
            ),
          options.idleTimeoutMs,
        );
        const onAbort = () =>
          finish(new DrkitError('aborted', `request to ${options.origin} aborted`, { retryable: false }));
        let done = false;
        const finish = (error?: Error) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          give(conn, !error && keepAlive);
          if (error) reject(error);
          else resolve(result!);
        };
        const body = (piece: Buffer, from: number, to: number) => {
          const n = to - from;
          if (n > remaining)
            return finish(new DrkitError('protocol', `${options.origin}: more bytes than the answer's Content-Length`));
          // Decrypted in place already, or (the bytes that came with the headers) copied there.
          const inPlace = piece.buffer === into.buffer && piece.byteOffset + from === into.byteOffset + at;
          if (result!.filled && !inPlace) piece.copy(into, at, from, to);
          at += n;
          remaining -= n;
          if (remaining === 0) finish();
        };
        conn.onFail = (error) => finish(error);
        conn.sink = (piece, n) => {
          timer.refresh();
          if (result) return body(piece, 0, n);
          head = Buffer.concat([head, piece.subarray(0, n)]);
          const end = head.indexOf('\r\n\r\n');
          if (end < 0) {
            if (head.length > HEAD_LIMIT)
              finish(new DrkitError('protocol', `${options.origin}: answer headers over ${HEAD_LIMIT} bytes`));
            return;
          }
          const [statusLine, ...fields] = head.subarray(0, end).toString('latin1').split('\r\n');
          const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
          if (!status) return finish(new DrkitError('protocol', `${options.origin}: not an HTTP/1.1 answer`));
          const h: Record<string, string> = {};
          for (const f of fields) {
            const colon = f.indexOf(':');
            if (colon > 0) h[f.slice(0, colon).trim().toLowerCase()] = f.slice(colon + 1).trim();
          }
          keepAlive = !/close/i.test(h.connection ?? '') && statusLine!.startsWith('HTTP/1.1');
          const length = h['content-length'];
          if (h['transfer-encoding'] || length === undefined || !/^\d+$/.test(length)) {
            keepAlive = false;
            result = {
              status: Number(status[1]),
              headers: h,
              filled: false,
              fallback: `an answer without a Content-Length (${h['transfer-encoding'] ?? 'no length'})`,
            };
            return finish();
          }
          remaining = Number(length);
          const code = Number(status[1]);
          const filled = code >= 200 && code < 300 && remaining === into.length;
          result = { status: code, headers: h, filled };
          // A body nobody wants, and too big to read to its end: close rather than drain.
          if (!filled && remaining > DRAIN_LIMIT) {
            keepAlive = false;
            return finish();
          }
          const rest = head.subarray(end + 4);
          head = Buffer.alloc(0);
          if (remaining === 0) return finish();
          if (rest.length > 0) body(rest, 0, rest.length);
          // Never more than the body's remaining bytes: nothing of another answer can land in `into`.
          if (filled && !done) conn.target = () => into.subarray(at, at + Math.min(remaining, 256 * 1024));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        conn.socket.write(lines.join('\r\n'));
      });
    },

    close(): void {
      closed = true;
      for (const c of idle.splice(0)) c.socket.destroy();
      for (const w of waiting.splice(0)) w(undefined);
    },
  };
}

export type RangeReader = ReturnType<typeof createRangeReader>;
