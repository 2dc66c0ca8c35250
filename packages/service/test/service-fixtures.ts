import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProtectionConfig, type ProtectionConfig } from '../src/index.js';

/** A config with `groups` reference groups, then its policy shortened to test speed (the parser keeps Site Recovery's minimums). */
export async function testConfig(
  groups: number,
  clock: { crashMs: number; appMs: number; rpoMs: number },
  extra: Record<string, unknown> = {},
): Promise<ProtectionConfig> {
  const dir = await mkdtemp(join(tmpdir(), 'drkit-service-'));
  const config = parseProtectionConfig(
    {
      groups: Array.from({ length: groups }, (_, i) => ({
        name: `g${i}`,
        target: `dir:store-${i}`,
        members: [{ endpoint: `file:///site/${i}`, machine: 'm' }],
      })),
      ...extra,
    },
    join(dir, 'drkit.yaml'),
  );
  for (const g of config.groups)
    g.policy = { ...g.policy, crashIntervalMs: clock.crashMs, appIntervalMs: clock.appMs, rpoThresholdMs: clock.rpoMs };
  return config;
}

export const silentLog = () => {};

export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
