import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { HeaviestFirst } from './test/harness/heaviest-first.js';

// One config for the whole workspace: tests import package sources (each package's
// `development` export condition), while CLI tests run the built binary as users do.
export default defineConfig({
  resolve: { conditions: ['development'] },
  ssr: { resolve: { conditions: ['development'], externalConditions: ['development'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'adapters/*/src/**/*.test.ts',
      'adapters/*/test/**/*.test.ts',
      'test/e2e/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The simulator build is shared; tests start their own simulator processes.
    globalSetup: ['test/harness/global-setup.ts'],
    pool: 'forks',
    // One file more than there are cores: most of a test's time is waiting on a simulator,
    // sshd, pwsh or Azurite, not on this process (a full run used ~1.4 of 2 cores with two).
    // Two more was measured and is slower here: vitest 383 s against 352-358 s.
    maxWorkers: Math.max(3, availableParallelism() + 1),
    // The longest files first, also on a clean clone (see heaviest-first.ts).
    sequence: { sequencer: HeaviestFirst },
    // CI asks for a JSON report too (DRKIT_TEST_REPORT=<file>) to print a plain closing line.
    reporters: process.env.DRKIT_TEST_REPORT ? ['default', 'json'] : ['default'],
    ...(process.env.DRKIT_TEST_REPORT && { outputFile: { json: process.env.DRKIT_TEST_REPORT } }),
  },
});
