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
  if (line.length > MAX_COMMAND_LINE) throw new DrkitError('bad-input', `a PowerShell script of ${script.length} characters encodes to ${line.length}, over cmd.exe's ${MAX_COMMAND_LINE}`);
  return line;
}
