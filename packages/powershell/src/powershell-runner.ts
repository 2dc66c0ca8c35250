import { DrkitError } from '@drkit/core';
import type { SshRunner } from '@drkit/ssh';
import { parseClixml } from './clixml.js';
import { powershellInvocation } from './encoded-command.js';
import { psInput } from './ps-input.js';
import { readEnvelope, wrapScript } from './ps-envelope.js';

/** One fixed script per operation; values go in as JSON (`$in`), results come back as plain values. */
export interface PsOperation {
  /** For errors and recordings, e.g. `windows.discover`. */
  name: string;
  /** The script body; it reads `$in` and returns results. Never holds a value. */
  body: string;
}

export interface PowerShellRunner {
  invoke<T>(
    operation: PsOperation,
    input?: unknown,
    options?: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<T[]>;
  /** Where calls run in long-lived processes: start `sessions` of them now (see PowerShellSession). */
  warm?(sessions?: number): Promise<void>;
}

/**
 * PowerShell on a Windows host through its OpenSSH server: the wrapped script goes as
 * -EncodedCommand, the input as JSON on stdin, the result as a JSON envelope on stdout;
 * what PowerShell writes to stderr arrives as CLIXML and becomes the error's message.
 */
export function powershellOverSsh(ssh: SshRunner, options: { exe?: string } = {}): PowerShellRunner {
  return {
    async invoke<T>(
      operation: PsOperation,
      input?: unknown,
      opts: { signal?: AbortSignal; timeoutMs?: number } = {},
    ): Promise<T[]> {
      const { line, stdin } = powershellInvocation(wrapScript(operation.body), psInput(input), options.exe);
      const r = await ssh.exec(
        { raw: line, name: operation.name },
        { stdin, okCodes: [1], ...(opts.signal && { signal: opts.signal }), timeoutMs: opts.timeoutMs ?? 300_000 },
      );
      const stdout = r.stdout.toString('utf8');
      if (!stdout.trim()) {
        const streams = parseClixml(r.stderr);
        throw new DrkitError(
          'platform',
          `${operation.name}: ${streams.errors.join(' ') || `PowerShell exited with ${r.code} and printed nothing`}`,
          { fault: `exit ${r.code}` },
        );
      }
      return readEnvelope<T>(operation.name, stdout);
    },
  };
}
