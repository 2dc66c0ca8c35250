import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { localRunner } from '../../../test/harness/local-runner.js';
import { NO_PWSH_REASON, PWSH } from '../../../test/harness/pwsh-stub-host.js';
import { powershellPool, type PowerShellSession } from '../src/index.js';

// REAL pwsh processes on one "connection" (a runner that runs each command line here).
if (!PWSH) console.warn(`PowerShell pool tests skipped: ${NO_PWSH_REASON}`);
const dir = mkdtempSync(join(tmpdir(), 'drkit-ps-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pools: PowerShellSession[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
});
const pool = (sessions?: number, singleStream = false) => {
  const runner = Object.assign(localRunner({ POWERSHELL_TELEMETRY_OPTOUT: '1' }), singleStream && { singleStream });
  const p = powershellPool(runner, { exe: PWSH!, ...(sessions && { sessions }) });
  pools.push(p);
  return p;
};
// Each call leaves a mark, then waits until `of` marks exist: only calls that run at the same
// time can all finish (no timing in the verdict; a serial pool would time out here).
const barrier = {
  name: 'test.barrier',
  body: String.raw`$null = New-Item -ItemType File -Path (Join-Path $in.dir ([guid]::NewGuid()))
$deadline = (Get-Date).AddSeconds(60)
while (@(Get-ChildItem -LiteralPath $in.dir).Count -lt $in.of) { if ((Get-Date) -gt $deadline) { throw 'not side by side' }; Start-Sleep -Milliseconds 20 }
@{ pid = $PID }`,
};
const pidOf = { name: 'test.pid', body: '@{ pid = $PID }' };

describe.skipIf(!PWSH)('PowerShell sessions pooled on one connection', () => {
  it('runs calls made together side by side, each in a process of its own, up to the cap', async () => {
    const ps = pool(3);
    const marks = mkdtempSync(join(dir, 'three-'));
    const answers = await Promise.all(
      [1, 2, 3].map(() => ps.invoke<{ pid: number }>(barrier, { dir: marks, of: 3 }, { timeoutMs: 90_000 })),
    );
    expect(new Set(answers.map((a) => a[0]!.pid)).size).toBe(3);
    expect(ps.starts).toBe(3);
    // Past the cap, calls wait for a session: a fourth and fifth reuse the three.
    const more = await Promise.all([1, 2, 3, 4, 5].map(() => ps.invoke<{ pid: number }>(pidOf)));
    expect(ps.starts).toBe(3);
    expect(more.every((a) => answers.some((b) => b[0]!.pid === a[0]!.pid))).toBe(true);
  });

  it('keeps calls made one after another on one process', async () => {
    const ps = pool();
    const pids = new Set<number>();
    for (let i = 0; i < 5; i++) pids.add((await ps.invoke<{ pid: number }>(pidOf))[0]!.pid);
    expect(pids.size).toBe(1);
    expect(ps.starts).toBe(1);
  });

  it('gives a recorder or replayer one session, whatever is asked together', async () => {
    const ps = pool(4, true);
    const answers = await Promise.all([1, 2, 3].map(() => ps.invoke<{ pid: number }>(pidOf)));
    expect(new Set(answers.map((a) => a[0]!.pid)).size).toBe(1);
    expect(ps.starts).toBe(1);
  });
});
