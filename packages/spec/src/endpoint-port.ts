import { DrkitError } from './errors.js';

/** The TCP port of an endpoint URL: the default when absent, else 1–65535 (`:0` once passed as a port). */
export function endpointPort(url: URL, defaultPort: number): number {
  if (!url.port) return defaultPort;
  const port = Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new DrkitError('bad-input', `port ${url.port} of ${url.protocol}//${url.host}: expected 1 to 65535`);
  return port;
}
