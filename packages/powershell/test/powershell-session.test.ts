import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { getEventListeners } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DrkitError } from '@drkit/core';
import { localRunner } from '../../../test/harness/local-runner.js';
import { HOSTILE_VALUES } from '../../../test/harness/ps-capture.js';
import { NO_PWSH_REASON, PWSH } from '../../../test/harness/pwsh-stub-host.js';
import { powershellSessionOver, type PowerShellSession } from '../src/index.js';

// One long-lived REAL pwsh per connection, driven through an SshRunner that runs the command
// line here (the transport is skipped; the loop, the framing and PowerShell are real).
if (!PWSH) console.warn(`PowerShell session tests skipped: ${NO_PWSH_REASON}`);
const code = (c: string) => (e: unknown) => DrkitError.isInstance(e) && e.code === c;
// Running: present and not a zombie (a killed grandchild may wait a moment for init to reap it).
const running = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
const dir = mkdtempSync(join(tmpdir(), 'drkit-ps-session-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sessions: PowerShellSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
});
const session = (timeoutMs = 60_000) => {
  const s = powershellSessionOver(localRunner({ POWERSHELL_TELEMETRY_OPTOUT: '1' }), { exe: PWSH!, timeoutMs });
  sessions.push(s);
  return s;
};
const echo = { name: 'test.echo', body: String.raw`@{ value = $in.value; pid = $PID }` };
const sleep = { name: 'test.sleep', body: String.raw`Start-Sleep -Milliseconds ([int]$in.ms); @{ pid = $PID }` };

describe.skipIf(!PWSH)('a PowerShell session', () => {
  it('answers many calls from one process, in the order they were made', async () => {
    const ps = session();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ps.invoke<{ value: number; pid: number }>(echo, { value: i })),
    );
    expect(answers.map((a) => a[0]!.value)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(new Set(answers.map((a) => a[0]!.pid)).size).toBe(1);
    expect(ps.starts).toBe(1);
  });

  it('leaves no listener on a signal shared by many calls (a CLI run passes one to all)', async () => {
    const ps = session();
    const { signal } = new AbortController();
    for (let i = 0; i < 15; i++) await ps.invoke(echo, { value: i }, { signal });
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('hands hostile values to the fixed script as data; none is evaluated, Unicode survives', async () => {
    const ps = session();
    const marker = join(dir, 'evaluated');
    const armed = [...HOSTILE_VALUES, `$(New-Item -ItemType File -Path '${marker}')`, 'Zürich ✓ 日本'];
    const back = await ps.invoke<{ v: string }>(
      { name: 'test.values', body: String.raw`@($in.values | ForEach-Object { @{ v = [string]$_ } })` },
      { values: armed },
    );
    expect(back.map((b) => b.v)).toEqual(armed);
    expect(existsSync(marker)).toBe(false);
  });

  it('types a script error and keeps the session: the next call runs in the same process', async () => {
    const ps = session();
    const [{ pid }] = await ps.invoke<{ pid: number }>(echo, { value: 1 });
    await expect(
      ps.invoke({
        name: 'test.fail',
        body: `Write-Error -Category ObjectNotFound -Message 'no VM with that id' -ErrorAction Stop`,
      }),
    ).rejects.toSatisfy((e) => code('not-found')(e) && /test\.fail: no VM with that id/.test((e as Error).message));
    // Nothing a script defines outlives its call.
    await ps.invoke({ name: 'test.define', body: '$leak = 42; function Get-Leak { 1 }' });
    expect(
      await ps.invoke({
        name: 'test.look',
        body: '@{ v = [bool]$leak; f = [bool](Get-Command Get-Leak -ErrorAction SilentlyContinue) }',
      }),
    ).toEqual([{ v: false, f: false }]);
    expect((await ps.invoke<{ pid: number }>(echo, { value: 2 }))[0]!.pid).toBe(pid);
    expect(ps.starts).toBe(1);
  });

  it('ends the process of a call that runs too long; the next call gets its own answer from a new one', async () => {
    const ps = session(1_500);
    const [{ pid }] = await ps.invoke<{ pid: number }>(echo, { value: 0 });
    await expect(ps.invoke(sleep, { ms: 30_000 })).rejects.toSatisfy(code('timeout'));
    const [after] = await ps.invoke<{ value: string; pid: number }>(echo, { value: 'next' });
    expect(after!.value).toBe('next');
    expect(after!.pid).not.toBe(pid);
    expect(ps.starts).toBe(2);
    expect(running(pid)).toBe(false); // the old one is gone
  });

  it('stops a running call on abort and drops a waiting one without running it', async () => {
    const ps = session();
    const controller = new AbortController();
    const running = ps.invoke(sleep, { ms: 30_000 }, { signal: controller.signal });
    const waiting = ps.invoke(
      { name: 'test.touch', body: `New-Item -ItemType File -Path ([string]$in.path) | Out-Null` },
      { path: join(dir, 'touched') },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(new DrkitError('aborted', 'stop')), 300);
    await expect(running).rejects.toSatisfy(code('aborted'));
    await expect(waiting).rejects.toSatisfy(code('aborted'));
    expect(existsSync(join(dir, 'touched'))).toBe(false);
    expect((await ps.invoke<{ value: number }>(echo, { value: 3 }))[0]!.value).toBe(3);
  });

  it('starts again after the process died while idle, and says so when one dies mid-call', async () => {
    const ps = session();
    const [{ pid }] = await ps.invoke<{ pid: number }>(echo, { value: 0 });
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    expect((await ps.invoke<{ value: number }>(echo, { value: 1 }))[0]!.value).toBe(1);
    expect(ps.starts).toBe(2);
    // A process that dies with a call in flight fails that call: it may have run.
    await expect(ps.invoke({ name: 'test.die', body: '[Environment]::Exit(3)' })).rejects.toSatisfy(
      (e) => DrkitError.isInstance(e) && /exited with 3/.test(e.message),
    );
    expect((await ps.invoke<{ value: number }>(echo, { value: 2 }))[0]!.value).toBe(2);
  });

  it('names a host without the PowerShell executable', async () => {
    const ps = powershellSessionOver(localRunner({}), { exe: 'no-such-powershell.exe' });
    await expect(ps.invoke(echo, { value: 1 })).rejects.toSatisfy(code('missing-command'));
    await ps.close();
  });
});
