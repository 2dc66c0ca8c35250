import { describe, expect, it } from 'vitest';
import { decodeInvocation, powershellOverSsh, wrapScript, type PsOperation } from '@drkit/powershell';
import type { ExecOptions, RemoteCommand, SshRunner } from '@drkit/ssh';
import { HYPERV_OPERATIONS } from '../src/index.js';

// Values that would execute, end a string or a statement, or break an encoding if they were
// ever spliced into script text — PowerShell also takes U+2018–U+201B as quotes.
const HOSTILE = [
  "'; Stop-Computer -Force; '", '"; Remove-Item C:\\ -Recurse -Force; "', '$(Stop-Computer)', '${env:USERPROFILE}', '`whoami`', '@(iex calc)',
  '‘quoted’', '‚low‛', '“double”', '; exit 0', '| Out-Null', '\r\nStop-Computer', '\u0000', '#>', '<#', "Microsoft:'1=1", 'ü ☃ 𝄞',
  'x'.repeat(65536),
];

/** Every operation, run over a transport that only records what would reach the host. */
async function sent(op: PsOperation, input: unknown): Promise<{ line: string; stdin: string }> {
  let captured: { line: string; stdin: string } | undefined;
  const recorder: SshRunner = {
    where: 'record',
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

describe('every Hyper-V script builder, fed hostile values', () => {
  it('sends the same fixed script whatever the values: none of them reaches script text', async () => {
    for (const op of HYPERV_OPERATIONS) {
      const clean = decodeInvocation(...Object.values(await sent(op, { vmId: '6b1e2a4c-8d3f-4e5a-9b7c-1d2e3f4a5b6c', tag: 'drkit-x', prefix: 'drkit-x', snapshotId: 'Microsoft:X', action: 'resync', path: 'D:\\x', level: 1 })) as [string, string]);
      expect(clean.script, op.name).toBe(wrapScript(op.body));
      for (const value of HOSTILE) {
        const input = { vmId: value, tag: value, prefix: value, snapshotId: value, action: value, path: value, level: value };
        const wire = await sent(op, input);
        const decoded = decodeInvocation(wire.line, wire.stdin);
        expect(decoded.script, `${op.name} with ${JSON.stringify(value).slice(0, 40)}`).toBe(clean.script);
        // The line holds nothing but the executable, switches and base64.
        expect(wire.line).toMatch(/^powershell\.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -InputFormat Text -OutputFormat Text -EncodedCommand [A-Za-z0-9+/=]+$/);
        // The input is ASCII JSON (any console code page reads it) and round-trips exactly.
        expect(/^[\x00-\x7f]*$/.test(decoded.input)).toBe(true);
        expect(JSON.parse(decoded.input)).toEqual(input);
      }
    }
  });

  it('reads values only through $in and never evaluates text', () => {
    for (const op of HYPERV_OPERATIONS) {
      expect(op.body, op.name).not.toMatch(/Invoke-Expression|\biex\b|\[scriptblock\]::Create|Add-Type|-EncodedCommand/i);
      // Wherever a value meets a WQL filter or a file name, it is parsed or pattern-checked first.
      if (/-Filter "[^"]*\$/.test(op.body)) expect(op.body, op.name).toMatch(/\[guid\]::Parse|-notmatch '\^/);
    }
  });
});
