import http from 'node:http';
import https from 'node:https';
import { CheckedHttpsAgent, checkPin, tlsTrustOptions, type TlsPolicy } from '@drkit/http/tls';

/**
 * The connection pool the storage client sends through: keep-alive sockets, up to
 * `maxSockets` per endpoint, and the store's TLS policy — the CA check by default (a CA
 * file replaces the system's), or a pinned certificate thumbprint checked before a request
 * is written on the socket (a SAS travels in the URL), or `insecure`, which the caller warns about.
 */
export function storageAgent(endpoint: string, policy: TlsPolicy, maxSockets: number): http.Agent {
  const options = { keepAlive: true, maxSockets, scheduling: 'lifo' as const };
  if (!endpoint.startsWith('https:')) return new http.Agent(options);
  if (policy.mode === 'pin') {
    const { sha256 } = policy;
    const origin = new URL(endpoint).origin;
    return new CheckedHttpsAgent(options, (socket) => checkPin(socket, sha256, origin));
  }
  return new https.Agent({ ...options, ...tlsTrustOptions(policy) });
}
