import { DrkitError } from '@drkit/core';

/** cmd.exe, the default shell of Windows' OpenSSH, refuses lines over 8191 characters. */
export const MAX_COMMAND_LINE = 8191;

/** `-EncodedCommand` takes base64 of the script's UTF-16LE bytes. */
export function encodeCommand(script: string): string {
  return Buffer.from(script, 'utf16le').toString('base64');
}

/**
 * The command line that runs a fixed script in Windows PowerShell 5.1 (or pwsh): no
 * profile, no prompts, nothing but base64 on the line — every value travels on stdin.
 */
export function powershellCommandLine(script: string, exe = 'powershell.exe'): string {
  const line = `${exe} -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -InputFormat Text -OutputFormat Text -EncodedCommand ${encodeCommand(script)}`;
  if (line.length > MAX_COMMAND_LINE)
    throw new DrkitError(
      'bad-input',
      `a PowerShell script of ${script.length} characters encodes to ${line.length}, over cmd.exe's ${MAX_COMMAND_LINE}`,
    );
  return line;
}

/** The fixed bootstrap for scripts too long for a command line: it reads the script from stdin's first line. */
export const STDIN_BOOTSTRAP =
  '$s = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String([Console]::In.ReadLine())); & ([scriptblock]::Create($s))';

export interface PowerShellInvocation {
  line: string;
  stdin: string;
}

/**
 * The command line and stdin that run `script` with `input` (JSON, one line). A script that
 * fits on cmd.exe's line goes as -EncodedCommand; a longer one goes as the first line of
 * stdin (base64 of UTF-8) under a fixed bootstrap, ahead of the input. Either way the
 * script text is fixed and no value is in it.
 */
export function powershellInvocation(script: string, input: string, exe = 'powershell.exe'): PowerShellInvocation {
  try {
    return { line: powershellCommandLine(script, exe), stdin: input };
  } catch (error) {
    if (!DrkitError.isInstance(error) || error.code !== 'bad-input') throw error;
    return {
      line: powershellCommandLine(STDIN_BOOTSTRAP, exe),
      stdin: `${Buffer.from(script, 'utf8').toString('base64')}\n${input}`,
    };
  }
}

/** The other way round, for stub hosts and tests: which script a host is asked to run, with which input. */
export function decodeInvocation(line: string, stdin: string): { script: string; input: string } {
  const b64 = /-EncodedCommand ([A-Za-z0-9+/=]+)$/.exec(line)?.[1];
  if (!b64) throw new Error('not a PowerShell -EncodedCommand line');
  const script = Buffer.from(b64, 'base64').toString('utf16le');
  if (script !== STDIN_BOOTSTRAP) return { script, input: stdin };
  const newline = stdin.indexOf('\n');
  return { script: Buffer.from(stdin.slice(0, newline), 'base64').toString('utf8'), input: stdin.slice(newline + 1) };
}
