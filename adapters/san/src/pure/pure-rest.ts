import { DrkitError, UnsupportedError } from '@drkit/core';
import type { HttpTransport } from '@drkit/http';
import { headerValue } from '@drkit/http';
import { RestClient, type ArrayFault, type QueryValue } from '../rest-client.js';

/** Pure answers errors as `{ errors: [{ message, context }] }`. */
export function pureFault(body: unknown): ArrayFault | undefined {
  const errors = (body as { errors?: Array<{ message?: unknown; context?: unknown }> } | undefined)?.errors;
  const first = errors?.find((e) => typeof e.message === 'string');
  if (!first) return undefined;
  return {
    message:
      typeof first.context === 'string' && first.context ? `${first.context}: ${first.message}` : String(first.message),
  };
}

export interface PureSessionOptions {
  transport: HttpTransport;
  apiToken: () => Promise<string>;
  where: string;
}

/** The REST 2.x versions this driver speaks, oldest first; the array's newest one wins. */
const MIN_MINOR = 2;

/**
 * A FlashArray REST 2.x session: the API token is exchanged at `/login` for a session
 * token (`x-auth-token`), sent on every call. Sessions expire; a 401 logs in again, once,
 * and repeats the call. The API token itself travels only to `/login`.
 */
export class PureSession {
  readonly rest: RestClient;
  #o: PureSessionOptions;
  #token: string | undefined;
  #version: string | undefined;
  #login: Promise<void> | undefined;

  constructor(options: PureSessionOptions) {
    this.#o = options;
    this.rest = new RestClient({
      transport: options.transport,
      where: options.where,
      authHeaders: async (signal) => {
        if (!this.#token) await this.#loginOnce(signal);
        return { 'x-auth-token': this.#token! };
      },
      renewSession: async (signal, refused) => {
        // Only the token that was refused is dropped: a newer one (another call's login) stands.
        if (this.#token === refused['x-auth-token']) this.#token = undefined;
        if (!this.#token) await this.#loginOnce(signal);
      },
      faultOf: pureFault,
    });
  }

  get version(): string {
    if (!this.#version) throw new DrkitError('invalid-state', 'the FlashArray session is not open');
    return this.#version;
  }

  /** Picks the newest REST 2.x the array offers, then logs in. */
  async open(signal?: AbortSignal): Promise<string> {
    const offered = await this.#raw('GET', '/api/api_version', {}, signal);
    const versions = ((offered.body as { version?: string[] })?.version ?? []).filter((v) => /^2\.\d+$/.test(v));
    const best = versions
      .map((v) => Number(v.split('.')[1]))
      .filter((m) => m >= MIN_MINOR)
      .sort((a, b) => b - a)[0];
    if (best === undefined)
      throw new UnsupportedError(
        'platform.version',
        `${this.#o.where} offers no REST 2.${MIN_MINOR}+ (it offers ${versions.join(', ') || 'none'})`,
      );
    this.#version = `2.${best}`;
    await this.#loginOnce(signal);
    return this.#version;
  }

  path(resource: string): string {
    return `/api/${this.version}/${resource}`;
  }

  /** Every item of a collection, following `continuation_token`. */
  async *items<T>(resource: string, query: Record<string, QueryValue>, signal?: AbortSignal): AsyncIterable<T> {
    let token: string | undefined;
    do {
      const page = (
        await this.rest.send({
          method: 'GET',
          path: this.path(resource),
          query: { limit: 500, ...query, continuation_token: token },
          ...(signal && { signal }),
        })
      ).body as {
        items?: T[];
        continuation_token?: string | null;
      };
      for (const item of page.items ?? []) yield item;
      token = page.continuation_token ?? undefined;
    } while (token);
  }

  async all<T>(resource: string, query: Record<string, QueryValue>, signal?: AbortSignal): Promise<T[]> {
    const out: T[] = [];
    for await (const item of this.items<T>(resource, query, signal)) out.push(item);
    return out;
  }

  async logout(): Promise<void> {
    if (!this.#token || !this.#version) return;
    await this.rest.send({ method: 'POST', path: this.path('logout') }).catch(() => {});
    this.#token = undefined;
  }

  #loginOnce(signal?: AbortSignal): Promise<void> {
    this.#login ??= this.#doLogin(signal).finally(() => (this.#login = undefined));
    return this.#login;
  }

  async #doLogin(signal?: AbortSignal): Promise<void> {
    let answer: Awaited<ReturnType<RestClient['send']>>;
    try {
      answer = await this.#raw('POST', this.path('login'), { 'api-token': await this.#o.apiToken() }, signal);
    } catch (error) {
      if (DrkitError.isInstance(error) && (error.code === 'auth-failed' || error.code === 'permission-denied')) {
        throw new DrkitError('auth-failed', `${this.#o.where}: the API token was refused`, {
          cause: error,
          fault: error.fault,
        });
      }
      throw error;
    }
    const token = headerValue(answer.headers, 'x-auth-token');
    if (!token)
      throw new DrkitError(
        'protocol',
        `${this.#o.where}: login answered HTTP ${answer.status} without a session token`,
      );
    this.#token = token;
  }

  /** A call outside the session (version list, login): no token, no renewal. */
  #raw(method: 'GET' | 'POST', path: string, headers: Record<string, string>, signal?: AbortSignal) {
    const bare = new RestClient({
      transport: this.#o.transport,
      where: this.#o.where,
      authHeaders: async () => headers,
      faultOf: pureFault,
    });
    return bare.send({ method, path, ...(signal && { signal }) });
  }
}
