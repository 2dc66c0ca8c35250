/**
 * Writes test-weights.json (seconds per test file) from a full run's JSON report, for the
 * heaviest-first sequencer: `DRKIT_TEST_REPORT=.cache/vitest-report.json pnpm test`, then
 * `pnpm test:weights`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';

const report = JSON.parse(readFileSync(process.argv[2] ?? '.cache/vitest-report.json', 'utf8')) as {
  testResults: Array<{ name: string; startTime: number; endTime: number }>;
};
const weights = Object.fromEntries(
  report.testResults
    .map((t) => [relative(process.cwd(), t.name), Math.round((t.endTime - t.startTime) / 100) / 10] as const)
    .filter(([, s]) => s >= 1)
    .sort((a, b) => b[1] - a[1]),
);
writeFileSync(new URL('./test-weights.json', import.meta.url), `${JSON.stringify(weights, null, 2)}\n`);
console.log(`${Object.keys(weights).length} files weighed`);
