import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Adapter, Consistency, TakenSnapshot } from '@drkit/core';
import { contractMachine, withAdapter } from './adapter-session.js';
import type { AdapterContractOptions } from './contract-options.js';

/** The snapshot module: for adapters that declare at least one consistency level. */
export function describeSnapshotContract(options: AdapterContractOptions): void {
  const timeout = options.timeoutMs ?? 60_000;
  const declared = (adapter: Adapter, level: Consistency) => adapter.capabilities.snapshot.consistency.includes(level);

  describe('snapshots', () => {
    it(
      'takes a tagged snapshot in phases, finds it by its tag, and deletes it',
      async (ctx) => {
        await withAdapter(options, async (adapter) => {
          if (!declared(adapter, 'crash')) return ctx.skip('no crash-consistent snapshots declared');
          const machineId = await contractMachine(adapter, options);
          const tag = `drkit-contract-${randomUUID()}`;
          const prepared = await adapter.snapshots.prepare({ machineId, consistency: 'crash', tag });
          let taken: TakenSnapshot;
          try {
            taken = await adapter.snapshots.take(prepared);
          } finally {
            await adapter.snapshots.release(prepared);
            await adapter.snapshots.release(prepared); // idempotent
          }
          expect(taken.machineId).toBe(machineId);
          expect(taken.achieved).toBe('crash');
          expect(taken.disks.length).toBeGreaterThan(0);
          expect((await adapter.snapshots.listTagged(tag)).map((s) => s.id)).toEqual([taken.id]);
          await adapter.snapshots.delete(taken);
          expect(await adapter.snapshots.listTagged(tag)).toEqual([]);
        });
      },
      timeout,
    );

    it(
      'never claims more consistency than it achieved, and explains any shortfall',
      async (ctx) => {
        await withAdapter(options, async (adapter) => {
          if (!declared(adapter, 'app')) return ctx.skip('no app-consistent snapshots declared');
          const machineId = await contractMachine(adapter, options);
          const prepared = await adapter.snapshots.prepare({
            machineId,
            consistency: 'app',
            tag: `drkit-contract-${randomUUID()}`,
          });
          const taken = await adapter.snapshots.take(prepared).finally(() => adapter.snapshots.release(prepared));
          try {
            expect(taken.requested).toBe('app');
            if (taken.achieved !== 'app') expect(taken.warnings.length).toBeGreaterThan(0);
          } finally {
            await adapter.snapshots.delete(taken);
          }
        });
      },
      timeout,
    );
  });
}
