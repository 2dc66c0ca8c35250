import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DrkitError, openDirStore } from '../src/index.js';

const HOLDER = new URL('./lock-holder.ts', import.meta.url).pathname;
/**
 * Two holder processes try to open the store at `startAt`; whichever holds it keeps it until
 * both have answered, so a loader slowed by a busy machine cannot make the two tries follow
 * each other instead of meeting.
 */
async function holdTogether(store: string, startAt: number): Promise<string[]> {
  const children = [0, 1].map(() =>
    spawn(process.execPath, ['--import', 'tsx', HOLDER, store, String(startAt)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const answers = await Promise.all(
    children.map(
      (c) => new Promise<string>((resolve) => c.stdout!.once('data', (b: Buffer) => resolve(b.toString().trim()))),
    ),
  );
  for (const c of children) c.stdin!.end();
  await Promise.all(children.map((c) => (c.exitCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
  return answers;
}

describe('one writer per store', () => {
  it('of two processes opening a store at the same instant, exactly one holds it (6 rounds)', async () => {
    for (let round = 0; round < 6; round++) {
      const store = await mkdtemp(join(tmpdir(), 'drkit-lock-'));
      // Both start at the same wall-clock instant, well after their loaders are up.
      const at = Date.now() + 1500;
      const got = await holdTogether(store, at);
      expect(got.sort()).toEqual(['busy', 'held']);
    }
  }, 120_000);

  it('a lock left by a killed process does not stop the next run, and a lock file with garbage in it neither', async () => {
    const store = await mkdtemp(join(tmpdir(), 'drkit-lock-'));
    // Holds the store until its stdin ends — which it never does: it is killed.
    const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, store, '0'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    const busy = await openDirStore(store).catch((e: unknown) => e);
    expect(DrkitError.isInstance(busy) && busy.code).toBe('busy');
    expect((busy as Error).message).toContain(String(child.pid));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const s = await openDirStore(store);
    await s.close();
    await writeFile(join(store, 'lock'), 'not a pid');
    const again = await openDirStore(store);
    await again.close();
  }, 60_000);

  it('inside one process, a second open waits its turn: busy until the first closes', async () => {
    const store = await mkdtemp(join(tmpdir(), 'drkit-lock-'));
    const first = await openDirStore(store);
    await expect(openDirStore(store)).rejects.toMatchObject({ code: 'busy' });
    await first.close();
    await (await openDirStore(store)).close();
  });
});
