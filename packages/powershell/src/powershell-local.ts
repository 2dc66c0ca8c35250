import { spawn } from 'node:child_process';
import { DrkitError, abortError } from '@drkit/core';
import { parseClixml } from './clixml.js';
import { encodeCommand } from './encoded-command.js';
import { psInput } from './ps-input.js';
import { readEnvelope, wrapScript } from './ps-envelope.js';
import type { PowerShellRunner, PsOperation } from './powershell-runner.js';

export interface LocalPowerShellOptions {
  /** The PowerShell executable: `pwsh` (7, also on Linux) or `powershell.exe` (5.1). */
  exe?: string;
  /** Per-call limit, ms. Default 300 000. */
  timeoutMs?: number;
}

/**
 * PowerShell on this machine: one process per call, the fixed script as -EncodedCommand,
 * the input as JSON on stdin. A call that times out or is aborted kills the process's whole
 * group, so nothing it started outlives it.
 *
 * For one-off local calls; adapters talk to their hosts through a session instead
 * (ps-session.ts), one process per connection.
 */
export function powershellLocal(options: LocalPowerShellOptions = {}): PowerShellRunner {
  const exe = options.exe ?? 'pwsh';
  return {
    invoke<T>(
      operation: PsOperation,
      input?: unknown,
      opts: { signal?: AbortSignal; timeoutMs?: number } = {},
    ): Promise<T[]> {
      return new Promise<T[]>((resolve, reject) => {
        if (opts.signal?.aborted) return reject(abortError(opts.signal));
        const child = spawn(
          exe,
          ['-NoLogo', '-NoProfile', '-NonInteractive', '-EncodedCommand', encodeCommand(wrapScript(operation.body))],
          {
            stdio: ['pipe', 'pipe', 'pipe'],
            detached: true, // its own process group: a kill reaches whatever it started
          },
        );
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let stopped: DrkitError | undefined;
        const kill = (why: DrkitError) => {
          stopped ??= why;
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            child.kill('SIGKILL');
          }
        };
        const limit = opts.timeoutMs ?? options.timeoutMs ?? 300_000;
        const timer = setTimeout(
          () =>
            kill(
              new DrkitError(
                'timeout',
                `${operation.name}: PowerShell did not finish within ${limit} ms; its processes were killed`,
              ),
            ),
          limit,
        );
        const onAbort = () => kill(abortError(opts.signal!));
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        child.stdout.on('data', (c: Buffer) => out.push(c));
        child.stderr.on('data', (c: Buffer) => err.push(c));
        child.stdin.on('error', () => {}); // a script that never reads its input closes the pipe
        child.stdin.end(psInput(input));
        child.on('error', (e: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          reject(
            e.code === 'ENOENT'
              ? new DrkitError('missing-command', `${exe} is not installed here`, { cause: e })
              : new DrkitError('platform', `${operation.name}: ${e.message}`, { cause: e }),
          );
        });
        child.on('close', (code) => {
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
          if (stopped) return reject(stopped);
          const stdout = Buffer.concat(out).toString('utf8');
          if (!stdout.trim()) {
            const streams = parseClixml(Buffer.concat(err).toString('utf8'));
            return reject(
              new DrkitError(
                'platform',
                `${operation.name}: ${streams.errors.join(' ') || `PowerShell exited with ${code} and printed nothing`}`,
                { fault: `exit ${code}` },
              ),
            );
          }
          try {
            resolve(readEnvelope<T>(operation.name, stdout));
          } catch (e) {
            reject(e);
          }
        });
      });
    },
  };
}
