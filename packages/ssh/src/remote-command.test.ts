import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandLine, PID_LINE, shellQuote } from './remote-command.js';

// The same shell ssh hands the line to (sh -c), run locally: what it prints is what the
// remote program would receive as argv.
const echoArgs = (line: string) =>
  execFileSync('sh', ['-c', line], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('remote commands', () => {
  const hostile = [
    "it's",
    '"; rm -rf / #',
    '$(touch /tmp/pwned)',
    '`id`',
    'a\nb',
    'x;y|z&',
    '\\',
    "''",
    '*',
    '-n',
    'ü ‘quoted’',
  ];

  it('passes every hostile value through as one literal argument', () => {
    const line = commandLine({ argv: ['printf', '%s\\0', ...hostile] });
    expect(echoArgs(line).split('\0').slice(0, -1)).toEqual(hostile);
  });

  it('gives scripts their values as positional parameters', () => {
    const line = commandLine({ script: 'for a; do printf "%s\\0" "$a"; done; printf "%s" "$LC_ALL"', args: hostile });
    const out = echoArgs(line).split('\0');
    expect(out.slice(0, -1)).toEqual(hostile);
    expect(out.at(-1)).toBe('C');
  });

  it('announces the pid a kill must reach on the first stderr line', () => {
    const r = spawnSync('sh', ['-c', commandLine({ argv: ['sh', '-c', 'echo $$'] })], { encoding: 'utf8' });
    expect(r.stderr).toMatch(PID_LINE);
    // exec keeps the pid: the announced process is the command itself.
    expect(r.stderr.match(PID_LINE)![1]).toBe(r.stdout.trim());
  });

  it('refuses NUL, which no argv can carry', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });
});
