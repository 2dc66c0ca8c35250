import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls, { type ConnectionOptions, type TLSSocket } from 'node:tls';

/**
 * Keep-alive HTTPS whose sockets reach a request only once `check` accepted the peer (a
 * pinned thumbprint): nothing is written on a connection before — a SAS or a session cookie
 * travels in the first request. Node's agent waits for the callback when createConnection
 * returns nothing. No session resumption, so every connection is checked on a full handshake.
 * Node's own modules only: the upload threads load this file.
 */
export class CheckedHttpsAgent extends https.Agent {
  constructor(
    options: https.AgentOptions,
    private readonly check: (socket: TLSSocket) => void,
  ) {
    super({ ...options, rejectUnauthorized: false, maxCachedSessions: 0 });
  }

  override createConnection(
    options: ConnectionOptions,
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
        this.check(socket);
        finish(null);
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.once('error', (error) => finish(error));
    return undefined;
  }
}
