import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DrkitError } from '@drkit/core';
import { powershellLocal } from '../src/index.js';

// A stand-in executable (test/harness/fake-pwsh/pwsh) in pwsh's place, so how the runner
// handles the process (arguments, stdin, kills) is proven even where pwsh is missing; the
// same with real pwsh, and PowerShell's semantics, are in powershell-real-pwsh.test.ts.
const STAND_IN = new URL('../../../test/harness/fake-pwsh/pwsh', import.meta.url).pathname;
const code = (c: string) => (e: unknown) => DrkitError.isInstance(e) && e.code === c;
const sleepers = () => {
  try {
    return execFileSync('pgrep', ['-f', '^sleep 300$'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
};

describe('PowerShell on this machine (a stand-in executable)', () => {
  it('passes hostile values as ASCII JSON on stdin, and they come back intact', async () => {
    const hostile = [
      "'; Remove-Item C:\\ -Recurse #",
      '$(Stop-Computer)',
      '`whoami`',
      '‘quoted’ ‛x‚',
      'a\r\nb',
      'ünïcödé ☃ 𝄞',
      '\u0000nul',
      'x'.repeat(65536),
    ];
    const ps = powershellLocal({ exe: STAND_IN });
    expect(
      await ps.invoke<string>({ name: 'echo', body: '# stand-in: echo\n$in.values' }, { values: hostile }),
    ).toEqual(hostile);
  });

  it('kills the whole process group on timeout: nothing it started is left running', async () => {
    const before = sleepers();
    const ps = powershellLocal({ exe: STAND_IN });
    await expect(
      ps.invoke({ name: 'hang', body: '# stand-in: hang' }, undefined, { timeoutMs: 800 }),
    ).rejects.toSatisfy(code('timeout'));
    await new Promise((r) => setTimeout(r, 200));
    expect(sleepers()).toBe(before);
  });

  it('kills it on abort too, with a typed error', async () => {
    const before = sleepers();
    const controller = new AbortController();
    const call = powershellLocal({ exe: STAND_IN }).invoke({ name: 'hang', body: '# stand-in: hang' }, undefined, {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 300);
    await expect(call).rejects.toSatisfy(code('aborted'));
    await new Promise((r) => setTimeout(r, 200));
    expect(sleepers()).toBe(before);
  });

  it('reads a failure from CLIXML on stderr, and says so when PowerShell is missing', async () => {
    await expect(powershellLocal({ exe: STAND_IN }).invoke({ name: 'other', body: 'Get-Date' })).rejects.toThrow(
      /other: no stand-in behaviour for this script/,
    );
    await expect(powershellLocal({ exe: '/nonexistent/pwsh' }).invoke({ name: 'x', body: '1' })).rejects.toSatisfy(
      code('missing-command'),
    );
  });
});
