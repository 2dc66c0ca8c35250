import { DrkitError } from '@drkit/core';

/**
 * A command for a POSIX login shell. Every value is a separate, single-quoted word, so no
 * user value is ever parsed as shell syntax; scripts are fixed text that take their
 * values as positional parameters ("$1"), never spliced in.
 */
export type RemoteCommand =
  | { argv: readonly string[] }
  | { script: string; args?: readonly string[] }
  /**
   * A line passed verbatim, for hosts whose shell is not POSIX (Windows' OpenSSH starts
   * cmd.exe). Fixed text only — values travel on stdin — and no process-group kill.
   * `text`: a stream of text requests and answers (a PowerShell session), which a recording
   * redacts as it redacts an exec's input and output (disk-data streams are kept as they are).
   */
  | { raw: string; name: string; text?: boolean };

export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new DrkitError('bad-input', 'a command argument cannot contain a NUL byte');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The first stderr line of every command: the pid of the process sshd started. sshd makes
 * it a session leader (setsid), so it is also the process group of everything the command
 * starts — what a kill must reach, since not every server honours the SSH "signal" request.
 */
export const PID_LINE = /^drkit-pid:(\d+)\n/;
const ANNOUNCE = `printf 'drkit-pid:%s\\n' "$$" >&2`;

/** The line sent in the exec request; LC_ALL=C so tools print parseable, untranslated text. */
export function commandLine(command: RemoteCommand): string {
  if ('raw' in command) return command.raw;
  if ('argv' in command) {
    if (command.argv.length === 0) throw new DrkitError('bad-input', 'empty command');
    return `LC_ALL=C exec sh -c ${shellQuote(`${ANNOUNCE}; exec "$@"`)} drkit ${command.argv.map(shellQuote).join(' ')}`;
  }
  return `LC_ALL=C exec sh -c ${shellQuote(`${ANNOUNCE}; ${command.script}`)} drkit ${(command.args ?? []).map(shellQuote).join(' ')}`.trimEnd();
}

/** A short name for errors and progress: the program, never its arguments. */
export function commandName(command: RemoteCommand): string {
  return 'raw' in command ? command.name : 'argv' in command ? command.argv[0]! : 'sh script';
}
