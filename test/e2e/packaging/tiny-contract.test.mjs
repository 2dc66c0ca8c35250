// The outside adapter passes the contract kit, in the outside folder's own vitest.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll } from 'vitest';
import { describeAdapterContract } from '@drkit/contract';
import { tinyAdapter } from './tiny-adapter.mjs';

let site;
beforeAll(async () => {
  site = await mkdtemp(join(tmpdir(), 'drkit-tiny-'));
  await mkdir(join(site, 'web'));
  await writeFile(join(site, 'web', 'os.img'), randomBytes(1 << 20));
});

describeAdapterContract({
  name: 'tiny, defined outside the workspace',
  adapter: async () => tinyAdapter.create(await tinyAdapter.parseEndpoint(`tiny://${site}`)),
  expect: { machines: 1 },
});
