import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDirStore, replicateGroup, type Adapter, type DiskSource } from '@drkit/core';
import { contractMachine, withAdapter } from './adapter-session.js';
import type { AdapterContractOptions } from './contract-options.js';

const MAX_COMPARE = 256 * 1024 * 1024;

async function readAll(source: DiskSource): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let o = 0; o < source.sizeBytes; o += 1 << 20)
    parts.push(Buffer.from(await source.read({ offset: o, length: Math.min(1 << 20, source.sizeBytes - o) })));
  return Buffer.concat(parts);
}

/** The replication module: for adapters that declare disk reads. */
export function describeReplicationContract(options: AdapterContractOptions): void {
  const timeout = options.timeoutMs ?? 120_000;
  const declared = (adapter: Adapter) => adapter.capabilities.replication.diskRead;

  describe('replication', () => {
    it(
      'reads a snapshot disk: exact lengths, and change sets are extents or "unknown", never an error',
      async (ctx) => {
        await withAdapter(options, async (adapter) => {
          if (!declared(adapter)) return ctx.skip('no disk reads declared');
          const machineId = await contractMachine(adapter, options);
          const prepared = await adapter.snapshots.prepare({
            machineId,
            consistency: 'crash',
            tag: `drkit-contract-${randomUUID()}`,
          });
          const snap = await adapter.snapshots.take(prepared).finally(() => adapter.snapshots.release(prepared));
          try {
            const disk = snap.disks[0]!;
            const source = await adapter.replication.openDisk(snap.id, machineId, disk.diskId);
            try {
              expect(source.sizeBytes).toBe(disk.sizeBytes);
              expect((await source.read({ offset: 0, length: 4096 })).length).toBe(4096);
              const tail = Math.min(4096, source.sizeBytes);
              expect((await source.read({ offset: source.sizeBytes - tail, length: tail })).length).toBe(tail);
              const changes = await source.changedSince(snap.changeTokens[disk.diskId]);
              expect(['extents', 'unknown']).toContain(changes.kind);
              if (changes.kind === 'extents')
                for await (const e of changes.extents)
                  expect(e.offset + e.length).toBeLessThanOrEqual(source.sizeBytes);
            } finally {
              await source.close();
            }
          } finally {
            await adapter.snapshots.delete(snap);
          }
        });
      },
      timeout,
    );

    it(
      'replicates a machine into a store and restores every disk byte-identical to its snapshot',
      async (ctx) => {
        await withAdapter(options, async (adapter) => {
          if (!declared(adapter)) return ctx.skip('no disk reads declared');
          const machineId = await contractMachine(adapter, options);
          const dir = await mkdtemp(join(tmpdir(), 'drkit-contract-'));
          const store = await openDirStore(join(dir, 'store'));
          try {
            const { point, group } = await replicateGroup({
              members: [{ adapter, machineId, name: 'm' }],
              consistency: 'crash',
              store,
              keepSnapshots: true,
            });
            const snap = group.members[0]!.snapshot;
            try {
              const restored = await store.restore(point.id, join(dir, 'out'));
              for (const d of snap.disks) {
                if (d.sizeBytes > MAX_COMPARE) continue;
                const source = await adapter.replication.openDisk(snap.id, machineId, d.diskId);
                const expected = await readAll(source).finally(() => source.close());
                const file = restored.files.find((f) => f.disk === d.name)!;
                expect((await readFile(file.path)).equals(expected), d.name).toBe(true);
              }
            } finally {
              await adapter.snapshots.delete(snap);
            }
          } finally {
            await store.close();
            await rm(dir, { recursive: true, force: true });
          }
        });
      },
      timeout,
    );
  });
}
