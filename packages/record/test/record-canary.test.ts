import { mkdtemp, readFile, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectInventory } from '@drkit/core';
import { createHttpTransport } from '@drkit/http';
import { createVSphereAdapter } from '@drkit/vsphere';
import { startVcsim, type Vcsim } from '../../../test/harness/vcsim.js';
import { Redactor, recordHttp, replayHttp } from '../src/index.js';

const CANARY_USER = 'canary-user-7f3a9';
const CANARY_PASSWORD = 'Canary&Pass<"word>-91c2';

let sim: Vcsim;
beforeAll(async () => {
  sim = await startVcsim({ username: CANARY_USER, password: CANARY_PASSWORD, pageCap: 3 });
});
afterAll(() => sim?.stop());

describe('recording a live session', () => {
  it('writes no canary credential, session cookie, thumbprint or address to the fixture — and it still replays', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drkit-canary-'));
    const live = createHttpTransport({ url: sim.origin, tls: { mode: 'pin', sha256: sim.thumbprint } });
    const recorder = await recordHttp(
      live,
      dir,
      new Redactor({ secrets: [CANARY_PASSWORD, CANARY_USER], hosts: [sim.host] }),
    );
    const adapter = createVSphereAdapter({
      transport: recorder,
      credentials: { username: CANARY_USER, password: async () => CANARY_PASSWORD },
      endpoint: `vsphere://${CANARY_USER}@${sim.host}:${sim.port}/sdk`,
      maxObjects: 4,
    });
    await adapter.connect();
    const recorded = await collectInventory(adapter.site, adapter.discover());
    await adapter.close();
    await recorder.finish({ adapter: 'vsphere', endpoint: `vsphere://${CANARY_USER}@${sim.host}:${sim.port}/sdk` });

    const files = await readdir(dir);
    expect(files.sort()).toEqual(['http.jsonl', 'manifest.json']);
    const all = (await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))).join('\n');
    expect(all.length).toBeGreaterThan(10_000);
    for (const canary of [CANARY_USER, CANARY_PASSWORD, 'Canary&amp;Pass', 'canary-user', sim.thumbprint, sim.host]) {
      expect(all.includes(canary), canary).toBe(false);
    }
    expect(all).not.toMatch(/vmware_soap_session="?(?!«)[^";«]/);
    for (const f of files) expect((await stat(join(dir, f))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o077).toBe(0);

    const replayed = createVSphereAdapter({
      transport: await replayHttp(dir),
      credentials: { username: 'x', password: async () => 'y' },
      endpoint: 'replay',
      maxObjects: 4,
    });
    await replayed.connect();
    const again = await collectInventory(replayed.site, replayed.discover());
    await replayed.close();
    expect(again.machines.map((m) => m.id)).toEqual(recorded.machines.map((m) => m.id));
  });
});
