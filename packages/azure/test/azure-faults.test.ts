import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type Azurite } from '../../../test/harness/azurite.js';
import { startHttpFaultProxy, type HttpFaultProxy } from '../../../test/harness/http-fault-proxy.js';
import { azureSite, type AzureSite } from './azure-site.js';

let azurite: Azurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

const MiB = 2 ** 20;

/** One crash-consistent run of the site's `web` machine into its container, through a proxy. */
async function replicateThrough(s: AzureSite, proxy: HttpFaultProxy) {
  const options = { accountKeyFile: join(azurite.secrets, 'key'), blobEndpoint: `${proxy.origin}/${azurite.account}` };
  const store = await s.open({ options });
  try {
    const { replicateGroup } = await import('@drkit/core');
    return await replicateGroup({
      members: [{ adapter: s.adapter, machineId: 'web', name: 'web' }],
      consistency: 'crash',
      store,
    });
  } finally {
    await store.close();
  }
}

const isPutPage = (url: string | undefined) => /[?&]comp=page\b/.test(url ?? '');

describe('the Azure store under a storage service that throttles and drops connections', () => {
  it('retries 503 (Retry-After) and cut connections with back-off; the point restores byte-identical', async () => {
    let puts = 0;
    const proxy = await startHttpFaultProxy(azurite.endpoint, (req) => {
      if (req.method !== 'PUT' || !isPutPage(req.url)) return 'forward';
      puts++;
      if (puts % 5 === 0) return { status: 503, headers: { 'retry-after': '1', 'x-ms-error-code': 'ServerBusy' } };
      if (puts % 7 === 0) return 'drop';
      return 'forward';
    });
    try {
      const s = await azureSite(azurite, { web: { os: 4 * MiB } });
      const result = await replicateThrough(s, proxy);
      expect(proxy.requests.filter((r) => r.action === 503).length).toBeGreaterThan(0);
      expect(proxy.requests.filter((r) => r.action === 'drop').length).toBeGreaterThan(0);
      expect((await s.restore(result.point.id)).get('web/os')!.equals((await s.sourceImages()).get('web/os')!)).toBe(
        true,
      );
    } finally {
      await proxy.close();
    }
  });

  it('sends a full disk in 4 MiB Put Pages from the read buffers; a cut upload is sent again whole', async () => {
    // The first 4 MiB upload is cut as it arrives: its body must be produced again for the retry.
    let cut = false;
    const proxy = await startHttpFaultProxy(azurite.endpoint, (req) => {
      if (cut || !isPutPage(req.url) || req.headers['content-length'] !== String(4 * MiB)) return 'forward';
      cut = true;
      return 'drop';
    });
    try {
      // No zeros, and a last page the disk only half fills: 4 MiB pieces span several of the
      // engine's 1 MiB reads (one body from several buffers), the last one is padded. The
      // engine's batches grow 1, 2, 4, 8 MiB: three 4 MiB pieces (one in the third, two in the fourth).
      const size = 15 * MiB + 256;
      const s = await azureSite(azurite, { web: { os: size } });
      await writeFile(join(s.site, 'web', 'os.img'), randomBytes(size));
      const result = await replicateThrough(s, proxy);
      const pages = proxy.requests.filter((r) => r.method === 'PUT' && isPutPage(r.url));
      expect(pages.filter((r) => r.action === 'drop')).toHaveLength(1);
      expect(pages.filter((r) => r.action === 'forward' && r.contentLength === 4 * MiB)).toHaveLength(3);
      expect((await s.restore(result.point.id)).get('web/os')!.equals((await s.sourceImages()).get('web/os')!)).toBe(
        true,
      );
    } finally {
      await proxy.close();
    }
  });

  it('a wrong key is auth-failed at the first answer, never retried', async () => {
    const proxy = await startHttpFaultProxy(azurite.endpoint);
    try {
      const s = await azureSite(azurite, { web: { os: MiB } });
      const keyFile = join(azurite.secrets, 'wrong-key');
      await writeFile(keyFile, randomBytes(64).toString('base64'));
      const options = { accountKeyFile: keyFile, blobEndpoint: `${proxy.origin}/${azurite.account}` };
      await expect(s.open({ options })).rejects.toMatchObject({ code: 'auth-failed', retryable: false });
      expect(proxy.requests).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});

describe('what the Azure store sends', () => {
  it('never uploads zero pages, and clears pages that became zero', async () => {
    const proxy = await startHttpFaultProxy(azurite.endpoint);
    try {
      const s = await azureSite(azurite, { web: { os: 4 * MiB } });
      const { writeTracked } = await import('@drkit/core');
      const run = () => replicateThrough(s, proxy);
      const pagePuts = () => proxy.requests.filter((r) => r.method === 'PUT' && isPutPage(r.url));
      await run();
      // azure-site.ts fills half of every 128 KiB: 2 MiB of the 4 MiB are data.
      const sent = proxy.bodyBytes();
      expect(sent).toBeGreaterThanOrEqual(2 * MiB);
      expect(sent).toBeLessThan(2 * MiB + 256 * 1024); // the data, the footer, map logs, a manifest
      proxy.resetCounters();
      // The first 64 KiB of data become zeros: cleared, not uploaded.
      await writeTracked(join(s.site, 'web'), 'os', [{ offset: 0, data: Buffer.alloc(64 * 1024) }]);
      const second = await run();
      expect(pagePuts()).toHaveLength(1);
      expect(proxy.bodyBytes()).toBeLessThan(16 * 1024);
      expect((await s.restore(second.point.id)).get('web/os')!.equals((await s.sourceImages()).get('web/os')!)).toBe(
        true,
      );
    } finally {
      await proxy.close();
    }
  });
});
