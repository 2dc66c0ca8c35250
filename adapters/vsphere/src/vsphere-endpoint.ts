import { DrkitError, endpointPort } from '@drkit/core';

export interface VSphereEndpoint {
  host: string;
  port: number;
  path: string;
  username: string;
  /** https://host:port, for the transport. */
  url: string;
  /** The endpoint as shown to people: no password, ever. */
  display: string;
}

/**
 * Parses `vsphere://user@host[:port][/sdk]`. A password in the URL is refused: URLs end
 * up in shell history, process lists and logs.
 */
export function parseVSphereEndpoint(input: string): VSphereEndpoint {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new DrkitError('bad-input', `not an endpoint URL: expected vsphere://user@host[:port][/sdk]`);
  }
  if (url.protocol !== 'vsphere:')
    throw new DrkitError('bad-input', `expected a vsphere:// endpoint, got ${url.protocol}//`);
  if (url.password)
    throw new DrkitError(
      'bad-input',
      'put no password in the endpoint URL; use --password-file, DRKIT_PASSWORD or the prompt',
    );
  if (!url.username) throw new DrkitError('bad-input', 'the endpoint needs a user: vsphere://user@host');
  if (!url.hostname) throw new DrkitError('bad-input', 'the endpoint needs a host: vsphere://user@host');
  const port = endpointPort(url, 443);
  const path = url.pathname && url.pathname !== '/' ? url.pathname : '/sdk';
  const username = decodeURIComponent(url.username);
  const hostPort = port === 443 ? url.hostname : `${url.hostname}:${port}`;
  return {
    host: url.hostname,
    port,
    path,
    username,
    url: `https://${url.hostname}:${port}`,
    display: `vsphere://${url.username}@${hostPort}${path}`,
  };
}
