import { DrkitError } from '@drkit/core';

export interface PhysicalEndpoint {
  host: string;
  port: number;
  username: string;
  /** As shown to people: never a password. */
  display: string;
}

/** Parses `ssh://user@host[:port]`; a password in the URL is refused (history, process lists, logs). */
export function parsePhysicalEndpoint(input: string): PhysicalEndpoint {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new DrkitError('bad-input', 'not an endpoint URL: expected ssh://user@host[:port]');
  }
  if (url.protocol !== 'ssh:') throw new DrkitError('bad-input', `expected an ssh:// endpoint, got ${url.protocol}//`);
  if (url.password) throw new DrkitError('bad-input', 'put no password in the endpoint URL; use --identity, DRKIT_PASSWORD or the prompt');
  if (!url.username) throw new DrkitError('bad-input', 'the endpoint needs a user: ssh://user@host');
  if (!url.hostname) throw new DrkitError('bad-input', 'the endpoint needs a host: ssh://user@host');
  if (url.pathname && url.pathname !== '/') throw new DrkitError('bad-input', 'an ssh:// endpoint has no path: ssh://user@host[:port]');
  const port = url.port ? Number(url.port) : 22;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port, username: decodeURIComponent(url.username), display: `ssh://${url.username}@${url.host}` };
}
