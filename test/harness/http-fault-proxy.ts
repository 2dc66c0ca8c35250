import http from 'node:http';

/** What the proxy does with one request: pass it on, answer it itself, or cut the connection. */
export type FaultAction = 'forward' | 'drop' | { status: number; headers?: Record<string, string> };

export interface HttpFaultProxy {
  /** `http://127.0.0.1:<port>`: put it where the real endpoint's origin was. */
  origin: string;
  /** Every request seen: method, path and query, its declared body length. */
  requests: Array<{ method: string; url: string; contentLength: number; action: 'forward' | 'drop' | number }>;
  /** Request bytes passed on to the server: bodies only. */
  bodyBytes(): number;
  /** Request line and headers of every request (as sent on HTTP/1.1). */
  headerBytes(): number;
  resetCounters(): void;
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of a real server (Azurite) that injects the faults a
 * storage service shows — throttling answers (503 with Retry-After), connections cut mid-
 * request — as `plan` decides per request, and counts what passes.
 */
export async function startHttpFaultProxy(
  target: string,
  plan: (req: http.IncomingMessage, index: number) => FaultAction = () => 'forward',
): Promise<HttpFaultProxy> {
  const to = new URL(target);
  const requests: HttpFaultProxy['requests'] = [];
  let body = 0;
  let head = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    const action = plan(req, requests.length);
    head += `${req.method} ${req.url} HTTP/1.1\r\n`.length + 2;
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      head += Buffer.byteLength(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`);
    const entry = {
      method: req.method ?? '',
      url: req.url ?? '',
      contentLength: Number(req.headers['content-length'] ?? 0),
      action: typeof action === 'object' ? action.status : action,
    };
    requests.push(entry);
    if (action === 'drop') {
      req.socket.destroy();
      return;
    }
    if (typeof action === 'object') {
      req.resume();
      req.on('end', () => {
        res.writeHead(action.status, { 'content-length': '0', ...action.headers });
        res.end();
      });
      return;
    }
    const upstream = http.request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.on('data', (chunk: Buffer) => void (body += chunk.length));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    bodyBytes: () => body,
    headerBytes: () => head,
    resetCounters() {
      requests.length = 0;
      body = 0;
      head = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      agent.destroy();
    },
  };
}
