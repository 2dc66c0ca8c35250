import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPwshReadyToRun } from './pwsh-r2r.js';
import { buildVcsim } from './vcsim.js';

/**
 * Builds the simulator once before any test file starts one, and gives the run a temporary
 * folder of its own (TMPDIR, which the forked test files inherit): sites, stores and restores
 * the tests leave there go with it at the end, so runs never fill a machine's disk between them.
 * The stub Windows hosts get a precompiled PowerShell where one can be built (pwsh-r2r.ts).
 */
export default async function setup(): Promise<() => void> {
  await buildVcsim();
  if (!process.env.DRKIT_PWSH) {
    const pwsh = await buildPwshReadyToRun().catch((error: unknown) => {
      console.warn(`PowerShell stays JIT-compiled (slower stub hosts): ${String(error)}`);
      return undefined;
    });
    if (pwsh) process.env.DRKIT_PWSH = pwsh;
  }
  const run = mkdtempSync(join(tmpdir(), 'drkit-test-run-'));
  process.env.TMPDIR = run;
  return () => {
    try {
      rmSync(run, { recursive: true, force: true });
    } catch (error) {
      console.warn(`could not remove the run's temporary folder ${run}: ${String(error)}`);
    }
  };
}
