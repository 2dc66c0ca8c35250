// One drkit discovery in its own process, for the discovery benchmark: prints one JSON line.
// Usage: VCSIM_PASSWORD=… tsx drkit-discovery-run.ts <origin> <thumbprint> <username>
import { collectInventory } from '@drkit/core';
import { createHttpTransport } from '@drkit/http';
import { createVSphereAdapter } from '@drkit/vsphere';

const [origin, thumbprint, username] = process.argv.slice(2);
if (!origin || !thumbprint || !username)
  throw new Error('usage: drkit-discovery-run.ts <origin> <thumbprint> <username>');

const start = performance.now();
const adapter = createVSphereAdapter({
  transport: createHttpTransport({ url: origin, tls: { mode: 'pin', sha256: thumbprint } }),
  credentials: { username, password: async () => process.env.VCSIM_PASSWORD ?? '' },
  endpoint: origin,
});
await adapter.connect();
const inventory = await collectInventory(adapter.site, adapter.discover());
await adapter.close();
const ms = performance.now() - start;
process.stdout.write(
  `${JSON.stringify({
    ms,
    machines: inventory.machines.length,
    hosts: inventory.hosts.length,
    devices: inventory.machines.reduce((n, m) => n + m.disks.length + m.nics.length, 0),
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
