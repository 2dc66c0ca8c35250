import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../../test/harness/fake-rest-server.js';
import { createHttpTransport, type HttpTransport } from '../src/index.js';

// A loopback HTTPS server with a self-signed certificate, taking PUTs the way a datastore's
// /folder does. The uploads come from the transport's upload threads (the built worker in
// dist/, which `tsc -b` makes before the tests run).
const cert = selfSignedCertificate();
const servers: Server[] = [];
const transports: HttpTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(answer: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer({ key: cert.key, cert: cert.cert }, answer);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Receives each body whole and answers 201 with its SHA-256. */
const received = new Map<string, Buffer>();
const store = (req: IncomingMessage, res: ServerResponse) => {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    received.set(req.url ?? '', Buffer.concat(parts));
    res.writeHead(201, { 'x-sha256': createHash('sha256').update(Buffer.concat(parts)).digest('hex') });
    res.end();
  });
};

function transport(url: string, tls: Parameters<typeof createHttpTransport>[0]['tls']) {
  const t = createHttpTransport({ url, ...(tls && { tls }) });
  transports.push(t);
  return t;
}

async function* chunksOf(data: Buffer, size: number, own = true): AsyncGenerator<Buffer> {
  for (let o = 0; o < data.length; o += size) {
    const part = data.subarray(o, o + size);
    yield own ? Buffer.from(Uint8Array.prototype.slice.call(part).buffer) : part;
  }
}

describe('uploads from the transport’s own threads (disk images)', () => {
  it('sends ten bodies side by side, every byte in order, taking the caller’s buffers without a copy', async () => {
    const url = await serve(store);
    const t = transport(url, { mode: 'pin', sha256: cert.thumbprint });
    const disks = Array.from({ length: 10 }, () => randomBytes(3 * (1 << 20) + 512));
    const handed: Buffer[][] = disks.map(() => []);
    const results = await Promise.all(
      disks.map(async (disk, i) => {
        const body = async function* () {
          for await (const c of chunksOf(disk, 1 << 20)) {
            handed[i]!.push(c);
            yield c;
          }
        };
        return t.upload!({
          method: 'PUT',
          path: `/folder/disk-${i}`,
          headers: { 'content-length': String(disk.length) },
          body: body(),
        });
      }),
    );
    results.forEach((r, i) => {
      expect(r.status).toBe(201);
      expect(r.headers['x-sha256']).toBe(createHash('sha256').update(disks[i]!).digest('hex'));
      expect(received.get(`/folder/disk-${i}`)!.equals(disks[i]!)).toBe(true);
    });
    // Moved to the upload thread, not copied: the caller's chunks are left empty.
    expect(handed.flat().every((c) => c.length === 0)).toBe(true);
  });

  it('gives a moved chunk’s memory back once sent, for the next reads; what was sent stays intact', async () => {
    const url = await serve(store);
    const t = transport(url, { mode: 'pin', sha256: cert.thumbprint });
    const disk = randomBytes(8 * (1 << 20));
    const back: Uint8Array[] = [];
    const r = await t.upload!({
      method: 'PUT',
      path: '/folder/recycled',
      headers: { 'content-length': String(disk.length) },
      body: chunksOf(disk, 1 << 20),
      // The caller writes over what comes back at once, as a reader filling it again would.
      recycle: (chunk) => back.push(chunk.fill(0xaa)),
    });
    expect(r.status).toBe(201);
    expect(received.get('/folder/recycled')!.equals(disk)).toBe(true);
    expect(back.map((c) => c.byteLength)).toEqual(Array(8).fill(1 << 20));
  });

  it('reads shared memory in place and hands each chunk back itself once sent, intact on the wire', async () => {
    const url = await serve(store);
    const t = transport(url, { mode: 'pin', sha256: cert.thumbprint });
    const disk = randomBytes(8 * (1 << 20));
    const chunks = Array.from({ length: 8 }, (_, i) => {
      const c = Buffer.from(new SharedArrayBuffer(1 << 20));
      disk.copy(c, 0, i << 20, (i + 1) << 20);
      return c;
    });
    const back: Uint8Array[] = [];
    const r = await t.upload!({
      method: 'PUT',
      path: '/folder/shared-memory',
      headers: { 'content-length': String(disk.length) },
      body: (async function* () {
        yield* chunks;
      })(),
      recycle: (chunk) => back.push(chunk.fill(0xaa)),
    });
    expect(r.status).toBe(201);
    expect(received.get('/folder/shared-memory')!.equals(disk)).toBe(true);
    expect(back).toHaveLength(8);
    for (const [i, c] of back.entries()) expect(c).toBe(chunks[i]);
  });

  it('copies chunks that share their memory, and leaves the caller’s buffer whole', async () => {
    const url = await serve(store);
    const t = transport(url, { mode: 'pin', sha256: cert.thumbprint });
    const disk = randomBytes(1 << 20);
    const r = await t.upload!({
      method: 'PUT',
      path: '/folder/shared',
      headers: { 'content-length': String(disk.length) },
      body: chunksOf(disk, 64 << 10, false),
      recycle: () => expect.unreachable('a copy is the pool’s own, never handed back'),
    });
    expect(r.status).toBe(201);
    expect(received.get('/folder/shared')!.equals(disk)).toBe(true);
    expect(disk.length).toBe(1 << 20);
  });

  it('refuses a certificate that is not the pinned one, or not trusted, before a byte of the body is sent', async () => {
    let requests = 0;
    const url = await serve((req, res) => {
      requests++;
      store(req, res);
    });
    const body = () => chunksOf(randomBytes(1 << 20), 1 << 18);
    const put = (t: HttpTransport) =>
      t.upload!({ method: 'PUT', path: '/folder/x', headers: { 'content-length': String(1 << 20) }, body: body() });
    await expect(put(transport(url, { mode: 'pin', sha256: 'AB'.repeat(32) }))).rejects.toMatchObject({
      code: 'tls-mismatch',
      message: expect.stringMatching(/does not match the pinned one/),
    });
    await expect(put(transport(url, undefined))).rejects.toMatchObject({ code: 'tls-mismatch' });
    expect(requests).toBe(0);
  });

  it('stops on abort and on an answer that comes before the body ends', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/folder/denied') {
        res.writeHead(401);
        res.end();
        return;
      }
      req.resume(); // never answers: only an abort ends this one
    });
    const t = transport(url, { mode: 'pin', sha256: cert.thumbprint });
    let pulled = 0;
    const endless = async function* () {
      for (;;) {
        pulled++;
        yield Buffer.from(randomBytes(1 << 16));
      }
    };
    const denied = await t.upload!({
      method: 'PUT',
      path: '/folder/denied',
      headers: { 'content-length': String(1 << 30) },
      body: endless(),
    });
    expect(denied.status).toBe(401);
    const controller = new AbortController();
    const hanging = t.upload!({
      method: 'PUT',
      path: '/folder/hangs',
      headers: { 'content-length': String(1 << 30) },
      body: endless(),
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 200);
    await expect(hanging).rejects.toMatchObject({ code: 'aborted' });
    const after = pulled;
    await new Promise((r) => setTimeout(r, 100));
    expect(pulled).toBe(after);
  });

  it('gives up on a server that takes the body and never answers, after the idle timeout', async () => {
    const url = await serve((req) => req.resume());
    const t = createHttpTransport({ url, tls: { mode: 'pin', sha256: cert.thumbprint }, bodyTimeoutMs: 300 });
    transports.push(t);
    await expect(
      t.upload!({
        method: 'PUT',
        path: '/folder/silent',
        headers: { 'content-length': String(1 << 16) },
        body: chunksOf(randomBytes(1 << 16), 1 << 16),
      }),
    ).rejects.toMatchObject({ code: 'timeout' });
  });

  it('ends with the body’s own error, and the upload is dropped', async () => {
    const url = await serve((req) => req.resume());
    const t = transport(url, { mode: 'pin', sha256: cert.thumbprint });
    const failing = async function* () {
      yield Buffer.from(randomBytes(1 << 16));
      throw Object.assign(new Error('block at 65536 does not match its checksum'), { code: 'integrity' });
    };
    await expect(
      t.upload!({
        method: 'PUT',
        path: '/folder/bad',
        headers: { 'content-length': String(1 << 20) },
        body: failing(),
      }),
    ).rejects.toMatchObject({ code: 'integrity' });
  });
});
