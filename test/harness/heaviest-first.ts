import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const WEIGHTS = new URL('./test-weights.json', import.meta.url);

/**
 * Starts the longest test files first, so the workers finish together instead of one waiting
 * on a long file started last. Vitest orders by the durations it cached on earlier runs — a
 * clean clone (CI) has none and orders by file size — so the seconds each file took in a full
 * run are committed (`test-weights.json`, rewritten by `pnpm test:weights` after a run with
 * DRKIT_TEST_REPORT). A file not listed keeps vitest's order, after the listed ones.
 */
export class HeaviestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = await super.sort(files);
    let weights: Record<string, number> = {};
    try {
      weights = JSON.parse(readFileSync(WEIGHTS, 'utf8')) as Record<string, number>;
    } catch {
      return ordered;
    }
    const root = this.ctx.config.root;
    const weight = (f: TestSpecification) => weights[relative(root, f.moduleId)] ?? 0;
    return ordered
      .map((f, i) => ({ f, i }))
      .sort((a, b) => weight(b.f) - weight(a.f) || a.i - b.i)
      .map((x) => x.f);
  }
}
