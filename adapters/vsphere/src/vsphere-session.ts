import { DrkitError } from '@drkit/core';
import type { Vim25Client } from './vim25-client.js';
import type { ServiceContent } from './vsphere-service-content.js';
import { xmlEscape } from './vim25-xml.js';

export interface Credentials {
  username: string;
  /** Read lazily, so a prompt or file is touched only when a login happens. */
  password: () => Promise<string>;
}

/**
 * One vim25 session: login, re-login after expiry, logout on every path. The password is
 * placed in the request envelope only (where it is XML-escaped) and never in an error.
 */
export class VSphereSession {
  #loggedIn = false;
  logins = 0;

  constructor(
    private readonly client: Vim25Client,
    private readonly content: ServiceContent,
    private readonly credentials: Credentials,
  ) {}

  get active(): boolean {
    return this.#loggedIn;
  }

  async login(signal?: AbortSignal): Promise<void> {
    this.client.clearSession();
    const password = await this.credentials.password();
    await this.client.invoke(
      'Login',
      this.content.sessionManager,
      `<userName>${xmlEscape(this.credentials.username)}</userName><password>${xmlEscape(password)}</password>`,
      { signal },
    );
    if (!this.client.hasSession) throw new DrkitError('protocol', 'Login succeeded but set no session cookie');
    this.#loggedIn = true;
    this.logins++;
  }

  #renewing: Promise<void> | undefined;

  /**
   * Logs in again after the server dropped the session. `stale` is the cookie the refused
   * call carried: calls refused together (parallel disk reads) share one login, and a late
   * refusal of a cookie already replaced only needs its call retried.
   */
  relogin(signal?: AbortSignal, stale?: string): Promise<void> {
    if (this.#renewing) return this.#renewing;
    if (stale !== undefined && this.client.cookie !== stale) return Promise.resolve();
    this.#renewing = (async () => {
      try {
        this.#loggedIn = false;
        await this.login(signal);
      } finally {
        this.#renewing = undefined;
      }
    })();
    return this.#renewing;
  }

  /**
   * Logs out; a session the server already ended is fine. Never throws: it runs on
   * every exit path, including after failures the caller must see instead.
   */
  async logout(): Promise<void> {
    if (!this.#loggedIn) return;
    this.#loggedIn = false;
    try {
      await this.client.invoke('Logout', this.content.sessionManager);
    } catch {
      // The session is gone either way; the caller's own outcome is what matters.
    } finally {
      this.client.clearSession();
    }
  }
}
