import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DrkitError } from '@drkit/core';
import { HOSTILE_VALUES } from '../../../test/harness/ps-capture.js';
import { NO_PWSH_REASON, PWSH } from '../../../test/harness/pwsh-stub-host.js';
import { encodeCommand, powershellLocal, wrapScript } from '../src/index.js';

// REAL PowerShell 7 (pwsh), where the machine has it (.ci/run installs it from NuGet).
if (!PWSH) console.warn(`real-pwsh runner tests skipped: ${NO_PWSH_REASON}`);
const code = (c: string) => (e: unknown) => DrkitError.isInstance(e) && e.code === c;
const count = (pattern: string) => {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
};
// Processes whose command line holds `needle`: other test files run pwsh at the same time.
const running = (needle: string) =>
  readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false;
      }
    }).length;
const dir = mkdtempSync(join(tmpdir(), 'drkit-pwsh-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!PWSH)('the local runner with real pwsh', () => {
  const ps = powershellLocal({ exe: PWSH!, timeoutMs: 60_000 });

  it('hands hostile values to the script as data: each round-trips, none is ever evaluated', async () => {
    const marker = join(dir, 'evaluated');
    // Every value that would run something if it were ever script text, pointed at the marker.
    const armed = [
      ...HOSTILE_VALUES,
      `$(New-Item -ItemType File -Path '${marker}')`,
      `'; New-Item -ItemType File -Path '${marker}'; '`,
      `\`$(New-Item '${marker}')`,
      `‘; New-Item '${marker}'; ‘`,
    ];
    // The script uses the values the ways drkit's scripts do: cast, compare, match, build hashtables.
    const body = String.raw`@($in.values | ForEach-Object { $v = [string]$_; if ($v -match '^never$' -or $v -eq 'x') { 'no' }; @{ v = $v; n = $v.Length } })`;
    const back = await ps.invoke<{ v: string; n: number }>({ name: 'echo', body }, { values: armed });
    expect(back.map((b) => b.v)).toEqual(armed);
    expect(back.map((b) => b.n)).toEqual(armed.map((v) => v.length)); // UTF-16 lengths agree: no re-encoding on the way
    expect(existsSync(marker)).toBe(false);
  });

  it('answers Windows PowerShell 5.1 shapes: one result is still an array, enums by name, depth kept', async () => {
    const body = String.raw`@{ day = [DayOfWeek]::Friday.ToString(); nested = @{ a = @{ b = @{ c = @{ d = 'deep' } } } } }`;
    expect(await ps.invoke({ name: 'one', body })).toEqual([
      { day: 'Friday', nested: { a: { b: { c: { d: 'deep' } } } } },
    ]);
    expect(await ps.invoke({ name: 'none', body: '$null' })).toEqual([]);
  });

  it("turns PowerShell errors into typed errors with the script's message and category", async () => {
    await expect(
      ps.invoke({
        name: 'missing',
        body: "Write-Error -Category ObjectNotFound -Message 'no VM 42' -ErrorAction Stop",
      }),
    ).rejects.toSatisfy((e: unknown) => code('not-found')(e) && (e as Error).message === 'missing: no VM 42');
    await expect(ps.invoke({ name: 'cmdlet', body: 'Get-NoSuchCmdlet' })).rejects.toSatisfy(code('missing-command'));
  });

  it('reads a script that cannot even parse from the CLIXML pwsh writes on stderr, without its colour codes', async () => {
    const failure = ps.invoke({ name: 'broken', body: 'if ($true) {' });
    await expect(failure).rejects.toSatisfy(
      (e: unknown) =>
        code('platform')(e) &&
        /^broken: ParserError: .*Line/.test((e as Error).message) &&
        !(e as Error).message.includes('\u001b'),
    );
  });

  it('keeps progress records off stdout', async () => {
    const body = "1..3 | ForEach-Object { Write-Progress -Activity 'copying' -PercentComplete ($_ * 30) }; 'done'";
    expect(await ps.invoke({ name: 'progress', body })).toEqual(['done']);
  });

  it('kills pwsh and what it started on timeout and on abort: no process is left', async () => {
    const before = count('^sleep 301$');
    const body = '& sleep 301';
    const ours = encodeCommand(wrapScript(body)); // this test's pwsh, by its command line
    await expect(ps.invoke({ name: 'hang', body }, undefined, { timeoutMs: 2_500 })).rejects.toSatisfy(code('timeout'));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 2_500);
    await expect(ps.invoke({ name: 'hang', body }, undefined, { signal: controller.signal })).rejects.toSatisfy(
      code('aborted'),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(count('^sleep 301$')).toBe(before);
    expect(running(ours)).toBe(0);
  });
});
