import { describe, expect, it } from 'vitest';
import { contractMachine, withAdapter } from './adapter-session.js';
import type { AdapterContractOptions } from './contract-options.js';

/**
 * The recovery module, for adapters that offer `recovery`: what it finds and what it touches
 * is only ever its own. (Bringing a machine up is each adapter's own test: it needs a point.)
 */
export function describeRecoveryContract(options: AdapterContractOptions): void {
  const timeout = options.timeoutMs ?? 60_000;
  describe('recovery', () => {
    it(
      'finds nothing under a tag it never used, and never removes or commits a machine it did not make',
      async (ctx) => {
        // Asked before connecting: an adapter without recovery costs its endpoint (and a
        // recorded session) nothing here.
        const probe = await options.adapter();
        const offered = probe.recovery !== undefined;
        await probe.close();
        if (!offered) return ctx.skip('no recovery offered');
        await withAdapter(options, async (adapter) => {
          if (!adapter.recovery) throw new Error('recovery was offered before connect and not after');
          expect(await adapter.recovery.listRecovered('drkit-contract-none')).toEqual([]);
          const machineId = await contractMachine(adapter, options);
          await expect(adapter.recovery.remove(machineId)).rejects.toMatchObject({ code: 'invalid-state' });
          await expect(adapter.recovery.commit(machineId)).rejects.toMatchObject({ code: 'invalid-state' });
        });
      },
      timeout,
    );
  });
}
