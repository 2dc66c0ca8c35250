import { powershellOverSsh, type PsOperation } from '@drkit/powershell';
import type { ExecOptions, RemoteCommand, SshRunner } from '@drkit/ssh';

/** What one PowerShell operation would put on the wire: the command line and stdin. */
export async function capturedInvocation(op: PsOperation, input: unknown): Promise<{ line: string; stdin: string }> {
  let captured: { line: string; stdin: string } | undefined;
  const recorder: SshRunner = {
    where: 'capture',
    closed: false,
    async exec(command: RemoteCommand, options: ExecOptions = {}) {
      captured = { line: 'raw' in command ? command.raw : '', stdin: String(options.stdin ?? '') };
      return { stdout: Buffer.from('{"ok":true,"result":[]}'), stderr: '', code: 0 };
    },
    open: () => Promise.reject(new Error('unused')),
    close: async () => {},
  };
  await powershellOverSsh(recorder).invoke(op, input);
  return captured!;
}

// Values that would execute, end a string or a statement, or break an encoding if they were
// ever spliced into script text — PowerShell also takes U+2018–U+201B as quotes.
export const HOSTILE_VALUES = [
  "'; Stop-Computer -Force; '",
  '"; Remove-Item C:\\ -Recurse -Force; "',
  '$(Stop-Computer)',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a PowerShell variable, meant literally
  '${env:USERPROFILE}',
  '`whoami`',
  '@(iex calc)',
  '‘quoted’',
  '‚low‛',
  '“double”',
  '; exit 0',
  '| Out-Null',
  '\r\nStop-Computer',
  '\u0000',
  '#>',
  '<#',
  "Microsoft:'1=1",
  'ü ☃ 𝄞',
  'x'.repeat(65536),
];
