import { DrkitError, endpointPort, type ParsedEndpoint } from '@drkit/spec';

export interface SshUrl {
  host: string;
  port: number;
  username: string;
  /** As shown to people: never a password. */
  display: string;
}

/**
 * Parses `<scheme>://user@host[:port]` for anything reached over SSH (`ssh://` servers,
 * `hyperv://` hosts). A password in the URL is refused: URLs end up in shell history,
 * process lists and logs.
 */
export function parseSshUrl(input: string, scheme: string): SshUrl {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new DrkitError('bad-input', `not an endpoint URL: expected ${scheme}://user@host[:port]`);
  }
  if (url.protocol !== `${scheme}:`)
    throw new DrkitError('bad-input', `expected a ${scheme}:// endpoint, got ${url.protocol}//`);
  if (url.password)
    throw new DrkitError(
      'bad-input',
      'put no password in the endpoint URL; use --identity, DRKIT_PASSWORD or the prompt',
    );
  if (!url.username) throw new DrkitError('bad-input', `the endpoint needs a user: ${scheme}://user@host`);
  if (!url.hostname) throw new DrkitError('bad-input', `the endpoint needs a host: ${scheme}://user@host`);
  if (url.pathname && url.pathname !== '/')
    throw new DrkitError('bad-input', `a ${scheme}:// endpoint has no path: ${scheme}://user@host[:port]`);
  const port = endpointPort(url, 22);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port, username: decodeURIComponent(url.username), display: `${scheme}://${url.username}@${url.host}` };
}

/** The endpoint as an adapter definition gives it to the host program (password asked for, never in the URL). */
export function sshEndpoint(input: string, scheme: string): ParsedEndpoint {
  const ep = parseSshUrl(input, scheme);
  return {
    display: ep.display,
    host: ep.host,
    port: ep.port,
    username: ep.username,
    secretPrompt: `password for ${ep.display}: `,
  };
}
