import { createServer, connect, type Socket } from 'node:net';

/**
 * A loopback TCP proxy we control: it counts the bytes each way (what "on the wire" means
 * in the benchmarks) and cuts connections on demand or after a byte budget, to drop links
 * at chosen points of a transfer.
 */
export interface TcpProxy {
  port: number;
  /** Bytes client→server and server→client since start or the last reset. */
  bytes(): { up: number; down: number };
  resetCounters(): void;
  /** Destroys every open connection now. */
  cutAll(): number;
  /** Cut every connection once this many more bytes (both ways) have passed; undefined disarms. */
  cutAfter(bytes: number | undefined): void;
  cuts: number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let up = 0;
  let down = 0;
  let budget: number | undefined;
  const proxy: TcpProxy = {
    port: 0,
    cuts: 0,
    bytes: () => ({ up, down }),
    resetCounters() {
      up = 0;
      down = 0;
    },
    cutAll() {
      const n = open.size;
      for (const s of open) s.destroy();
      open.clear();
      if (n > 0) proxy.cuts++;
      return n;
    },
    cutAfter(bytes) {
      budget = bytes;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const spend = (n: number) => {
    if (budget === undefined) return;
    budget -= n;
    if (budget <= 0) {
      budget = undefined;
      // Outside the data callback, so the chunk that crossed the line is not half-handled.
      setImmediate(() => proxy.cutAll());
    }
  };
  const server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    // Transparent: no Nagle delay added to either side's small packets.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    open.add(client).add(upstream);
    client.on('data', (c: Buffer) => {
      up += c.length;
      spend(c.length);
      if (!upstream.write(c)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (c: Buffer) => {
      down += c.length;
      spend(c.length);
      if (!client.write(c)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  server.on('close', () => proxy.cutAll());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as { port: number }).port;
  return proxy;
}
