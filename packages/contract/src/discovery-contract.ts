import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { DrkitError, inventorySchemaV1, type Inventory } from '@drkit/core';
import type { AdapterContractOptions } from './contract-options.js';
import { discoverOnce, withAdapter } from './adapter-session.js';

const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
const validate = ajv.compile(inventorySchemaV1);

/** The discovery module: what every adapter's inventory must satisfy. */
export function describeDiscoveryContract(options: AdapterContractOptions): void {
  const timeout = options.timeoutMs ?? 60_000;
  describe('discovery', () => {
    let first: Inventory | undefined;
    const inventory = async () => (first ??= await discoverOnce(options));

    it(
      'declares discovery among its probed capabilities',
      async () => {
        await withAdapter(options, async (adapter) => expect(adapter.capabilities.discovery).toBe(true));
      },
      timeout,
    );

    it(
      'yields a schema-valid, non-empty inventory',
      async () => {
        const inv = await inventory();
        const valid = validate(JSON.parse(JSON.stringify(inv)));
        expect(validate.errors ?? []).toEqual([]);
        expect(valid).toBe(true);
        expect(inv.machines.length).toBeGreaterThan(0);
        if (options.expect?.machines !== undefined) expect(inv.machines).toHaveLength(options.expect.machines);
        if (options.expect?.hosts !== undefined) expect(inv.hosts).toHaveLength(options.expect.hosts);
      },
      timeout,
    );

    it(
      'gives every disk a numeric capacity',
      async () => {
        const disks = (await inventory()).machines.flatMap((m) => m.disks);
        expect(disks.length).toBeGreaterThan(0);
        for (const disk of disks) {
          expect(typeof disk.capacityBytes).toBe('number');
          expect(disk.capacityBytes, disk.id).toBeGreaterThan(0);
        }
      },
      timeout,
    );

    it(
      'reports no id twice, within or across kinds of objects',
      async () => {
        const inv = await inventory();
        const ids = [
          ...inv.machines.map((m) => m.id),
          ...inv.machines.flatMap((m) => [...m.disks.map((d) => d.id), ...m.nics.map((n) => n.id)]),
          ...inv.hosts.map((h) => `host:${h.id}`),
          ...inv.clusters.map((c) => `cluster:${c.id}`),
          ...inv.storage.map((s) => `storage:${s.id}`),
          ...inv.networks.map((n) => `network:${n.id}`),
        ];
        expect(ids.length - new Set(ids).size).toBe(0);
      },
      timeout,
    );

    it(
      'links machines only to hosts, clusters, storage and networks it also reported',
      async () => {
        const inv = await inventory();
        const hosts = new Set(inv.hosts.map((h) => h.id));
        const clusters = new Set(inv.clusters.map((c) => c.id));
        const storage = new Set(inv.storage.map((s) => s.id));
        const networks = new Set(inv.networks.map((n) => n.id));
        for (const m of inv.machines) {
          if (m.hostId) expect(hosts.has(m.hostId), `${m.name} host ${m.hostId}`).toBe(true);
          if (m.clusterId) expect(clusters.has(m.clusterId), `${m.name} cluster ${m.clusterId}`).toBe(true);
          for (const s of m.storageIds) expect(storage.has(s), `${m.name} storage ${s}`).toBe(true);
          for (const n of m.networkIds) expect(networks.has(n), `${m.name} network ${n}`).toBe(true);
        }
        for (const c of inv.clusters)
          for (const h of c.hostIds) expect(hosts.has(h), `cluster ${c.name} host ${h}`).toBe(true);
      },
      timeout,
    );

    it(
      'keeps ids stable across two independent runs',
      async () => {
        const a = await inventory();
        const b = await discoverOnce(options);
        const key = (inv: Inventory) =>
          inv.machines.map((m) => `${m.id}=${m.name}:${m.disks.map((d) => d.id).join(',')}`).sort();
        expect(key(b)).toEqual(key(a));
        expect(b.hosts.map((h) => h.id).sort()).toEqual(a.hosts.map((h) => h.id).sort());
      },
      timeout,
    );

    it(
      'refuses to discover before connect with a typed error',
      async () => {
        const adapter = await options.adapter();
        try {
          const run = async () => {
            for await (const _ of adapter.discover()) break;
          };
          await expect(run()).rejects.toSatisfy((e: unknown) => DrkitError.isInstance(e) && e.code === 'invalid-state');
        } finally {
          await adapter.close();
        }
      },
      timeout,
    );
  });
}
