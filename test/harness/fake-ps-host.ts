import { decodeInvocation } from '@drkit/powershell';
import type { ExecOptions, RemoteCommand, SshRunner } from '@drkit/ssh';

/** What a stub host answers: the wrapper's envelope, as the real script prints it. */
export type PsEnvelope =
  | { ok: true; result: unknown[] }
  | { ok: false; error: { type: string; message: string; category: string; id: string } };

export const ok = (result: unknown): PsEnvelope => ({ ok: true, result: Array.isArray(result) ? result : [result] });
export const fail = (
  message: string,
  category: string,
  type = 'Microsoft.PowerShell.Commands.WriteErrorException',
): PsEnvelope => ({
  ok: false,
  error: { type, message, category, id: `${category},Microsoft.PowerShell.Commands.WriteErrorCommand` },
});

/**
 * The SSH side of a stub Windows host: every command must be drkit's PowerShell invocation
 * (the fixed wrapper, ASCII JSON on stdin); the operation's answer comes from `answer`.
 */
export function fakePowerShellHost(
  where: string,
  answer: (name: string, input: Record<string, unknown> | undefined) => PsEnvelope,
): { runner: SshRunner; calls: Array<{ name: string; input: unknown }> } {
  const calls: Array<{ name: string; input: unknown }> = [];
  const runner: SshRunner = {
    where,
    closed: false,
    async exec(command: RemoteCommand, opts: ExecOptions = {}) {
      if (!('raw' in command)) throw new Error(`${where} is only ever sent PowerShell`);
      const { script, input } = decodeInvocation(command.raw, String(opts.stdin ?? ''));
      if (!script.includes('ConvertFrom-Json') || !script.includes("$ProgressPreference = 'SilentlyContinue'"))
        throw new Error('script without the stdin/JSON wrapper');
      if (/[^\x00-\x7f]/.test(input)) throw new Error('stdin must be ASCII JSON');
      const value = input ? (JSON.parse(input) as Record<string, unknown>) : undefined;
      calls.push({ name: command.name, input: value });
      const envelope = answer(command.name, value);
      return { stdout: Buffer.from(JSON.stringify(envelope)), stderr: '', code: envelope.ok ? 0 : 1 };
    },
    open: () => Promise.reject(new Error(`${where} opens no streams`)),
    close: async () => {},
  };
  return { runner, calls };
}
