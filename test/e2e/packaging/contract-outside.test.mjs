// Copied into a folder outside the workspace by packaging.test.ts and run there with that
// folder's own vitest: the contract kit as an adapter author outside this repo uses it.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll } from 'vitest';
import { createReferenceAdapter } from '@drkit/core';
import { describeAdapterContract } from '@drkit/contract';

let site;
beforeAll(async () => {
  site = await mkdtemp(join(tmpdir(), 'drkit-outside-'));
  await mkdir(join(site, 'web'));
  await writeFile(join(site, 'web', 'os.img'), randomBytes(1 << 20));
});

describeAdapterContract({
  name: 'reference adapter, installed from tarballs',
  adapter: () => createReferenceAdapter({ root: site }),
  expect: { machines: 1 },
});
