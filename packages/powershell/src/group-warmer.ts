import type { PowerShellRunner } from './powershell-runner.js';

/**
 * For snapshot operations whose group prepares together and then takes together: counts the
 * snapshots prepared and not yet taken and keeps that many PowerShell sessions started (up
 * to the pool's cap), so no take pays for a process start inside the group's window.
 */
export function groupWarmer(runner: () => Promise<PowerShellRunner>): {
  prepared(handle: object): Promise<void>;
  done(handle: object): void;
} {
  const waiting = new Set<object>();
  return {
    async prepared(handle) {
      waiting.add(handle);
      await (await runner()).warm?.(waiting.size);
    },
    done(handle) {
      waiting.delete(handle);
    },
  };
}
