import { describe, expect, it } from 'vitest';
import { DrkitError, type Adapter } from '@drkit/core';
import type { AdapterContractOptions } from './contract-options.js';
import { withAdapter } from './adapter-session.js';

const isUnsupported = (e: unknown) => DrkitError.isInstance(e) && e.code === 'unsupported';

/**
 * Undeclared abilities must fail with UnsupportedError, not half-work. Declared ones are
 * checked by their own modules (snapshot, replication) as adapters gain them.
 */
export function describeUndeclaredCapabilities(options: AdapterContractOptions): void {
  const timeout = options.timeoutMs ?? 60_000;
  describe('undeclared capabilities', () => {
    it(
      'refuses snapshots with UnsupportedError when it declares no snapshot consistency',
      async (ctx) => {
        await withAdapter(options, async (adapter: Adapter) => {
          if (adapter.capabilities.snapshot.consistency.length > 0)
            return ctx.skip('snapshots are declared: the snapshot module checks them');
          const machineId = 'contract-probe';
          await expect(
            adapter.snapshots.prepare({ machineId, consistency: 'crash', tag: 'drkit-contract' }),
          ).rejects.toSatisfy(isUnsupported);
          await expect(adapter.snapshots.listTagged('drkit-contract')).rejects.toSatisfy(isUnsupported);
        });
      },
      timeout,
    );

    it(
      'refuses disk reads with UnsupportedError when it declares no disk replication',
      async (ctx) => {
        await withAdapter(options, async (adapter: Adapter) => {
          if (adapter.capabilities.replication.diskRead)
            return ctx.skip('disk reads are declared: the replication module checks them');
          await expect(adapter.replication.openDisk('none', 'none', 'none')).rejects.toSatisfy(isUnsupported);
        });
      },
      timeout,
    );
  });
}
