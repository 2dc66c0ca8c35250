import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createReferenceAdapter,
  replicateGroup,
  writeTracked,
  type Adapter,
  type ReplicationResult,
  type TargetOpenContext,
} from '@drkit/core';
import { openAzureTarget, type AzureStore } from '../src/index.js';
import type { Azurite } from '../../../test/harness/azurite.js';

/** A reference site (machines as folders of raw disk images) replicated into an Azurite container. */
export interface AzureSite {
  site: string;
  location: string;
  adapter: Adapter;
  open(options?: {
    create?: boolean;
    env?: Record<string, string>;
    options?: Record<string, unknown>;
  }): Promise<AzureStore>;
  replicate(options?: {
    resync?: boolean;
    machines?: string[];
    signal?: AbortSignal;
    onBytes?: (written: number) => void;
  }): Promise<ReplicationResult>;
  /** `<machine>/<disk>` → the disk's bytes now. */
  sourceImages(): Promise<Map<string, Buffer>>;
  /** Restores a point into a fresh folder; `<machine>/<disk>` → bytes. */
  restore(pointId: string): Promise<Map<string, Buffer>>;
  write(machine: string, disk: string, count: number): Promise<void>;
}

export async function azureSite(
  azurite: Azurite,
  spec: Record<string, Record<string, number>>,
  container = `c${randomBytes(6).toString('hex')}`,
): Promise<AzureSite> {
  const site = await mkdtemp(join(tmpdir(), 'drkit-azsite-'));
  for (const [machine, disks] of Object.entries(spec)) {
    await mkdir(join(site, machine));
    for (const [disk, size] of Object.entries(disks)) {
      const data = Buffer.alloc(size);
      // Half of every 128 KiB random, half zeros: zero pages exist and must never be sent (and
      // Azurite, single-threaded, spends ~5 ms per request: runs keep its tests short).
      for (let o = 0; o < size; o += 128 * 1024) randomBytes(Math.min(64 * 1024, size - o)).copy(data, o);
      await writeFile(join(site, machine, `${disk}.img`), data);
    }
  }
  const adapter = createReferenceAdapter({ root: site });
  await adapter.connect();
  const location = `azure://${azurite.account}/${container}/drkit`;
  const context = (
    o: { create?: boolean; env?: Record<string, string>; options?: Record<string, unknown> } = {},
  ): TargetOpenContext => ({
    options: o.options ?? { connectionStringFile: join(azurite.secrets, 'connection-string') },
    env: o.env ?? {},
    warn: () => {},
    create: o.create ?? true,
  });
  const machines = Object.keys(spec);
  const s: AzureSite = {
    site,
    location,
    adapter,
    open: (o) => openAzureTarget(location, context(o)),
    async replicate(options = {}) {
      const store = await s.open();
      try {
        return await replicateGroup({
          members: (options.machines ?? machines).map((machineId) => ({ adapter, machineId, name: machineId })),
          consistency: 'crash',
          store,
          resync: options.resync,
          ...(options.signal && { signal: options.signal }),
          onProgress: (e) => e.kind === 'bytes' && options.onBytes?.(e.sent),
        });
      } finally {
        await store.close();
      }
    },
    async sourceImages() {
      const out = new Map<string, Buffer>();
      for (const m of machines)
        for (const f of (await readdir(join(site, m))).filter((x) => x.endsWith('.img')))
          out.set(`${m}/${f.slice(0, -4)}`, await readFile(join(site, m, f)));
      return out;
    },
    async restore(pointId) {
      const out = await mkdtemp(join(tmpdir(), 'drkit-azrestore-'));
      const store = await s.open({ create: false });
      try {
        const result = await store.restore(pointId, out, { durable: false });
        const images = new Map<string, Buffer>();
        for (const f of result.files) images.set(`${f.machine}/${f.disk}`, await readFile(f.path));
        return images;
      } finally {
        await store.close();
        await rm(out, { recursive: true, force: true });
      }
    },
    async write(machine, disk, count) {
      const size = (await readFile(join(site, machine, `${disk}.img`))).length;
      const offsets = [...new Set(Array.from({ length: count }, () => randomInt(0, Math.floor(size / 4096)) * 4096))];
      await writeTracked(
        join(site, machine),
        disk,
        offsets.map((offset) => ({ offset, data: randomBytes(4096) })),
      );
    },
  };
  return s;
}
