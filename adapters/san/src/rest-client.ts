import { DrkitError, abortError, delay, type DrkitErrorCode } from '@drkit/core';
import { headerValue, type HttpTransport } from '@drkit/http';

export type QueryValue = string | number | boolean | undefined;

export interface RestRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path without query, e.g. `/api/storage/volumes`; or a full path+query from a `next` link. */
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  signal?: AbortSignal;
}

export interface RestResponse {
  status: number;
  headers: Record<string, string | string[]>;
  /** Parsed JSON; undefined for an empty body. */
  body: unknown;
}

/** The array's own error text and code, read from its error body. */
export interface ArrayFault {
  message: string;
  code?: string;
}

export interface RestClientOptions {
  transport: HttpTransport;
  /** The endpoint as shown to people, for messages; no credentials. */
  where: string;
  /** Headers that authenticate a request (Basic credentials, a session token). */
  authHeaders(signal?: AbortSignal): Promise<Record<string, string>>;
  /**
   * Gets a fresh session after a 401 of a request sent with `refused` (its auth headers).
   * Absent where a 401 can only mean bad credentials (ONTAP's Basic auth); present where
   * sessions expire (Pure's session tokens). Calls in flight together are refused together:
   * one whose session was already renewed by another must not log in again.
   */
  renewSession?(signal: AbortSignal | undefined, refused: Record<string, string>): Promise<void>;
  faultOf(body: unknown): ArrayFault | undefined;
  /** Longest wait a server's Retry-After may ask for, ms; beyond it the request fails as busy. Default 60 s. */
  maxRetryAfterMs?: number;
  /** Busy answers (429/503) tolerated per request. Default 5. */
  busyRetries?: number;
}

const MAX_BODY = 64 * 1024 * 1024;
const STATUS_CODES: Record<number, DrkitErrorCode> = {
  400: 'bad-input',
  401: 'auth-failed',
  403: 'permission-denied',
  404: 'not-found',
  409: 'conflict',
  422: 'bad-input',
};

/**
 * JSON over the injected transport, with the behaviour every array API needs: a 401 renews
 * the session once and repeats the request; 429 and 503 wait as long as Retry-After says
 * (seconds or an HTTP date) and repeat; every other failure becomes a typed error carrying
 * the array's own message and code. Values travel URL-encoded in the query or as JSON,
 * never spliced into a path unencoded.
 */
export class RestClient {
  readonly #o: RestClientOptions;

  constructor(options: RestClientOptions) {
    this.#o = options;
  }

  async send(request: RestRequest): Promise<RestResponse> {
    let renewed = false;
    let busy = 0;
    for (;;) {
      const { response, auth } = await this.#once(request);
      if (response.status === 401 && this.#o.renewSession && !renewed) {
        renewed = true;
        await this.#o.renewSession(request.signal, auth);
        continue;
      }
      if ((response.status === 429 || response.status === 503) && busy < (this.#o.busyRetries ?? 5)) {
        const wait = retryAfterMs(headerValue(response.headers, 'retry-after'), busy);
        if (wait <= (this.#o.maxRetryAfterMs ?? 60_000)) {
          busy++;
          await delay(wait, request.signal);
          continue;
        }
      }
      if (response.status >= 400) throw this.#error(request, response);
      return response;
    }
  }

  async #once(request: RestRequest): Promise<{ response: RestResponse; auth: Record<string, string> }> {
    if (request.signal?.aborted) throw abortError(request.signal);
    const auth = await this.#o.authHeaders(request.signal);
    const headers: Record<string, string> = { accept: 'application/json', ...auth };
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await this.#o.transport.request({
      method: request.method,
      path: withQuery(request.path, request.query),
      headers,
      ...(body !== undefined && { body }),
      ...(request.signal && { signal: request.signal }),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += chunk.byteLength;
      if (size > MAX_BODY) {
        response.cancel();
        throw new DrkitError(
          'protocol',
          `${this.#o.where}: answer to ${request.method} ${request.path} is over ${MAX_BODY} bytes`,
        );
      }
      chunks.push(Buffer.from(chunk));
    }
    const text = Buffer.concat(chunks).toString('utf8');
    let parsed: unknown;
    if (text.trim() !== '') {
      try {
        parsed = JSON.parse(text);
      } catch (cause) {
        if (response.status < 400)
          throw new DrkitError(
            'protocol',
            `${this.#o.where}: ${request.method} ${request.path} answered with something that is not JSON`,
            { cause },
          );
        parsed = { message: text.slice(0, 200) };
      }
    }
    return { response: { status: response.status, headers: response.headers, body: parsed }, auth };
  }

  #error(request: RestRequest, response: RestResponse): DrkitError {
    const fault = this.#o.faultOf(response.body);
    const code: DrkitErrorCode =
      STATUS_CODES[response.status] ?? (response.status === 429 || response.status === 503 ? 'busy' : 'platform');
    const what = `${request.method} ${request.path}`;
    const detail = fault?.message ?? `HTTP ${response.status}`;
    const hint =
      response.status === 401
        ? ' (check the credentials)'
        : response.status === 403
          ? ' (the account lacks the role for this call)'
          : '';
    return new DrkitError(code, `${this.#o.where}: ${what} failed: ${detail}${hint}`, {
      fault: fault?.code ? `${response.status}/${fault.code}` : String(response.status),
      // A server error may pass; a refusal of the request itself will not.
      ...(response.status >= 500 && { retryable: response.status !== 501 }),
    });
  }
}

/** `path?k=v&…` with values URL-encoded; undefined values left out. */
export function withQuery(path: string, query: Record<string, QueryValue> | undefined): string {
  const pairs = Object.entries(query ?? {}).filter((e): e is [string, string | number | boolean] => e[1] !== undefined);
  if (pairs.length === 0) return path;
  const encoded = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
  return `${path}${path.includes('?') ? '&' : '?'}${encoded}`;
}

/** Retry-After as seconds or an HTTP date; without one, 1 s doubling per busy answer. */
export function retryAfterMs(header: string | undefined, attempt: number, now = Date.now()): number {
  if (header !== undefined && header.trim() !== '') {
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(header);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  return 1000 * 2 ** attempt;
}
