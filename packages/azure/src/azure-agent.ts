import http from 'node:http';
import https from 'node:https';
import tls, { type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { checkPin, tlsTrustOptions, type TlsPolicy } from '@drkit/http';

/**
 * The connection pool the storage client sends through: keep-alive sockets, up to
 * `maxSockets` per endpoint, and the store's TLS policy — the CA check by default (a CA
 * file replaces the system's), or a pinned certificate thumbprint checked before a request
 * is written on the socket (a SAS travels in the URL), or `insecure`, which the caller warns about.
 */
export function storageAgent(endpoint: string, policy: TlsPolicy, maxSockets: number): http.Agent {
  const options = { keepAlive: true, maxSockets, scheduling: 'lifo' as const };
  if (!endpoint.startsWith('https:')) return new http.Agent(options);
  if (policy.mode === 'pin') return new PinnedAgent(policy.sha256, new URL(endpoint).origin, options);
  return new https.Agent({ ...options, ...tlsTrustOptions(policy) });
}

class PinnedAgent extends https.Agent {
  constructor(
    private readonly pin: string,
    private readonly origin: string,
    options: https.AgentOptions,
  ) {
    super({ ...options, rejectUnauthorized: false });
  }

  // Node's agent waits for the callback when createConnection returns nothing: the socket is
  // handed over only once its certificate matched the pin.
  override createConnection(
    options: tls.ConnectionOptions,
    callback: (error: Error | null, socket?: Duplex) => void,
  ): Duplex | undefined {
    const socket: TLSSocket = tls.connect({ ...options, rejectUnauthorized: false });
    let done = false;
    const finish = (error: Error | null) => {
      if (done) return;
      done = true;
      if (error) {
        socket.destroy();
        callback(error);
      } else callback(null, socket);
    };
    socket.once('secureConnect', () => {
      try {
        checkPin(socket, this.pin, this.origin);
        finish(null);
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.once('error', (error) => finish(error));
    return undefined;
  }
}
