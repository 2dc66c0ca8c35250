import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll } from 'vitest';
import { createReferenceAdapter } from '@drkit/core';
import { describeAdapterContract } from '../src/index.js';

let site: string;
beforeAll(async () => {
  site = await mkdtemp(join(tmpdir(), 'drkit-ref-contract-'));
  for (const [machine, disks] of Object.entries({ web: [3 << 20], db: [1 << 20, 5 * 4096 + 100] })) {
    await mkdir(join(site, machine));
    for (const [i, size] of disks.entries()) await writeFile(join(site, machine, `disk${i}.img`), randomBytes(size));
  }
});

describeAdapterContract({
  name: 'reference file:// adapter (phased)',
  adapter: () => createReferenceAdapter({ root: site }),
  expect: { machines: 2, hosts: 1 },
});
describeAdapterContract({
  name: 'reference file:// adapter (fused phases)',
  adapter: () => createReferenceAdapter({ root: site, fusedPhases: true }),
  machineId: 'db',
});
