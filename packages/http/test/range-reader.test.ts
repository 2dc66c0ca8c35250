import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../../test/harness/fake-rest-server.js';
import { createHttpTransport } from '../src/index.js';

// A loopback HTTPS server with a self-signed certificate, answering the way a datastore's
// /folder does (206 with Content-Length for a Range) — or, on request, the ways it might not.
const cert = selfSignedCertificate();
const data = randomBytes(1 << 20);
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(
  answer: (path: string, range: string | undefined, res: import('node:http').ServerResponse) => void,
) {
  const server = createServer({ key: cert.key, cert: cert.cert }, (req, res) =>
    answer(req.url ?? '', req.headers.range, res),
  );
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const ranged = (range: string | undefined, res: import('node:http').ServerResponse) => {
  const [, a, b] = /bytes=(\d+)-(\d+)/.exec(range ?? '')!;
  const part = data.subarray(Number(a), Number(b) + 1);
  res.writeHead(206, { 'content-length': part.length, 'content-range': `bytes ${a}-${b}/${data.length}` });
  res.end(part);
};

describe('GETs into the caller’s buffer (bulk disk reads)', () => {
  it('fills the buffer from a 206, over kept-alive connections, many reads in flight', async () => {
    let connections = 0;
    const url = await serve((_p, range, res) => ranged(range, res));
    servers[0]!.on('secureConnection', () => connections++);
    const t = createHttpTransport({ url, tls: { mode: 'pin', sha256: cert.thumbprint }, rangeConnections: 2 });
    const reads = Array.from({ length: 16 }, async (_, i) => {
      const into = Buffer.alloc(64 * 1024);
      const r = await t.getInto!(
        { path: '/folder/x-flat.vmdk', headers: { range: `bytes=${i * 65536}-${i * 65536 + 65535}` } },
        into,
      );
      expect(r).toMatchObject({ status: 206, filled: true });
      expect(into.equals(data.subarray(i * 65536, (i + 1) * 65536))).toBe(true);
    });
    await Promise.all(reads);
    expect(connections).toBe(2);
    await t.close();
  });

  it('refuses a certificate that is not the pinned one before sending the request', async () => {
    let asked = 0;
    const url = await serve((_p, range, res) => {
      asked++;
      return ranged(range, res);
    });
    const t = createHttpTransport({ url, tls: { mode: 'pin', sha256: 'AA'.repeat(32) } });
    await expect(t.getInto!({ path: '/x', headers: { range: 'bytes=0-9' } }, Buffer.alloc(10))).rejects.toMatchObject({
      code: 'tls-mismatch',
    });
    const verifying = createHttpTransport({ url }); // the default: verify against the CAs
    await expect(
      verifying.getInto!({ path: '/x', headers: { range: 'bytes=0-9' } }, Buffer.alloc(10)),
    ).rejects.toMatchObject({ code: 'tls-mismatch' });
    expect(asked).toBe(0);
    await t.close();
    await verifying.close();
  });

  it('says what it got when the body is not the range asked for, and leaves the buffer alone', async () => {
    const url = await serve((path, range, res) => {
      if (path === '/expired') return res.writeHead(401, { 'content-length': 12 }).end('unauthorized');
      if (path === '/whole') return res.writeHead(200, { 'content-length': data.length }).end(data);
      if (path === '/chunked') return res.writeHead(206).end(data.subarray(0, 10)); // no length: chunked
      ranged(range, res);
    });
    const t = createHttpTransport({ url, tls: { mode: 'pin', sha256: cert.thumbprint }, rangeConnections: 1 });
    const into = Buffer.alloc(10);
    expect(await t.getInto!({ path: '/expired', headers: { range: 'bytes=0-9' } }, into)).toMatchObject({
      status: 401,
      filled: false,
    });
    expect(await t.getInto!({ path: '/whole', headers: { range: 'bytes=0-9' } }, into)).toMatchObject({
      status: 200,
      filled: false,
    });
    expect(into.equals(Buffer.alloc(10))).toBe(true);
    // An answer it does not read is a fallback result, not an error: the caller reads it the general way.
    expect(await t.getInto!({ path: '/chunked', headers: { range: 'bytes=0-9' } }, into)).toMatchObject({
      filled: false,
      fallback: expect.stringMatching(/without a Content-Length \(chunked\)/),
    });
    // The one connection survived or was replaced: the next read still works.
    expect(await t.getInto!({ path: '/ok', headers: { range: 'bytes=0-9' } }, into)).toMatchObject({
      status: 206,
      filled: true,
    });
    expect(into.equals(data.subarray(0, 10))).toBe(true);
    await expect(t.getInto!({ path: '/ok', headers: { cookie: 'a\r\nX-Injected: 1' } }, into)).rejects.toMatchObject({
      code: 'bad-input',
    });
    await t.close();
  });

  it('gives up on a silent server after the idle timeout, and on abort', async () => {
    const url = await serve(() => {}); // never answers
    const t = createHttpTransport({ url, tls: { mode: 'pin', sha256: cert.thumbprint }, bodyTimeoutMs: 200 });
    await expect(t.getInto!({ path: '/x', headers: {} }, Buffer.alloc(1))).rejects.toMatchObject({ code: 'timeout' });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 50);
    await expect(t.getInto!({ path: '/x', headers: {}, signal: abort.signal }, Buffer.alloc(1))).rejects.toMatchObject({
      code: 'aborted',
    });
    await t.close();
  });
});
