import { DrkitError, endpointPort } from '@drkit/core';

export interface SanEndpoint {
  family: 'ontap' | 'pure';
  host: string;
  port: number;
  /** ONTAP's user; Pure logs in with an API token, no user. */
  username?: string;
  url: string;
  display: string;
}

/**
 * Parses `ontap://user@host[:port]` and `pure://host[:port]`. Secrets never go in the URL:
 * the ONTAP password and the Pure API token come from a file, the environment or a prompt.
 */
export function parseSanEndpoint(input: string): SanEndpoint {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new DrkitError('bad-input', 'not an endpoint URL: expected ontap://user@host or pure://host');
  }
  const family = url.protocol === 'ontap:' ? 'ontap' : url.protocol === 'pure:' ? 'pure' : undefined;
  if (!family) throw new DrkitError('bad-input', `expected an ontap:// or pure:// endpoint, got ${url.protocol}//`);
  if (url.password)
    throw new DrkitError(
      'bad-input',
      'put no secret in the endpoint URL; use --password-file, DRKIT_PASSWORD or the prompt',
    );
  if (!url.hostname)
    throw new DrkitError(
      'bad-input',
      `the endpoint needs a host: ${family}://${family === 'ontap' ? 'user@' : ''}host`,
    );
  if (family === 'ontap' && !url.username)
    throw new DrkitError('bad-input', 'ONTAP needs a user: ontap://admin@cluster');
  if (family === 'pure' && url.username)
    throw new DrkitError(
      'bad-input',
      'a FlashArray logs in with an API token, not a user: pure://array (token via --password-file or DRKIT_PASSWORD)',
    );
  const port = endpointPort(url, 443);
  const hostPort = port === 443 ? url.hostname : `${url.hostname}:${port}`;
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  return {
    family,
    host: url.hostname,
    port,
    ...(username && { username }),
    url: `https://${url.hostname}:${port}`,
    display: `${family}://${url.username ? `${url.username}@` : ''}${hostPort}`,
  };
}
