/**
 * Re-records the vSphere fixtures under fixtures/vsphere/ against the simulator:
 *   pnpm tsx test/harness/record-vsphere-fixtures.ts
 * - recorded-site:   a paged session (server pages of ≤3 objects, maxObjects 5), the
 *                    embedded default site of `drkit discover`.
 * - session-expiry:  the same, with the session terminated by an administrator after the
 *                    second machine page; the client logs in again and restarts the pass.
 * Credentials are random canaries; the recorder redacts them before writing.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { collectInventory } from '@drkit/core';
import { createHttpTransport } from '@drkit/http';
import { Redactor, recordHttp } from '@drkit/record';
import { createVSphereAdapter } from '@drkit/vsphere';
import { interceptTransport, soapMethod } from './intercept-transport.js';
import { startVcsim, type Vcsim } from './vcsim.js';
import { terminateOtherSessions } from './vsphere-admin.js';

const ROOT = new URL('../../fixtures/vsphere/', import.meta.url).pathname;

export async function recordScenario(
  sim: Vcsim,
  dir: string,
  options: { expireAfterContinue?: number; notes: string },
): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  const live = createHttpTransport({ url: sim.origin, tls: { mode: 'pin', sha256: sim.thumbprint } });
  let continues = 0;
  const intercepted = interceptTransport(live, async (request) => {
    if (soapMethod(request) === 'ContinueRetrievePropertiesEx' && ++continues === options.expireAfterContinue) {
      await terminateOtherSessions(sim);
    }
  });
  const recorder = await recordHttp(
    intercepted,
    dir,
    new Redactor({ secrets: [sim.password, sim.username], hosts: [sim.host] }),
  );
  const endpoint = `vsphere://${sim.username}@${sim.host}:${sim.port}/sdk`;
  const adapter = createVSphereAdapter({
    transport: recorder,
    credentials: { username: sim.username, password: async () => sim.password },
    endpoint,
    maxObjects: 5,
  });
  await adapter.connect();
  const inventory = await collectInventory(adapter.site, adapter.discover());
  await adapter.close();
  await recorder.finish({
    adapter: 'vsphere',
    product: adapter.site.product,
    version: adapter.site.version,
    endpoint,
    notes: options.notes,
    parameters: { maxObjects: 5 },
  });
  console.log(
    `${dir}: ${inventory.machines.length} machines, ${inventory.warnings.length} warnings, ${recorder.origin}`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sim = await startVcsim({
    clusters: 2,
    hostsPerCluster: 2,
    standaloneHosts: 1,
    vmsPerPool: 3,
    datastores: 2,
    pageCap: 3,
  });
  try {
    await recordScenario(sim, new URL('../../packages/cli/recorded-site', import.meta.url).pathname, {
      notes:
        'govmomi 0.24.2 simulator (test/harness/vcsim, -page-cap=3), maxObjects=5; pnpm tsx test/harness/record-vsphere-fixtures.ts',
    });
    await recordScenario(sim, join(ROOT, 'session-expiry'), {
      expireAfterContinue: 4,
      notes:
        'as recorded-site, with TerminateSession by an admin session after the 4th ContinueRetrievePropertiesEx (the first of the machine pass)',
    });
  } finally {
    await sim.stop();
  }
}
