import { describe, expect, it } from 'vitest';
import type { ExecOptions, RemoteCommand, SshRunner } from '@drkit/ssh';
import { encodeCommand, parseClixml, powershellCommandLine, powershellOverSsh, readEnvelope } from './index.js';

// Shaped like what Windows PowerShell 5.1 prints on stderr over OpenSSH without a tty.
const CLIXML =
  '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN><MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.</AV><AI>0</AI><Nil /><PI>-1</PI><PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR></MS></Obj>' +
  '<S S="Error">Get-CimInstance : Access denied _x000D__x000A_</S><S S="Error">At line:1 char:1_x000D__x000A_</S><S S="Warning">disk 2 is offline &amp; skipped_x000D__x000A_</S></Objs>';

describe('PowerShell over SSH', () => {
  it('encodes scripts as base64 of UTF-16LE, as -EncodedCommand expects', () => {
    expect(Buffer.from(encodeCommand("Get-Date; 'ü'"), 'base64').toString('utf16le')).toBe("Get-Date; 'ü'");
    expect(() => powershellCommandLine('x'.repeat(4000))).toThrow(/over cmd.exe's 8191/);
  });

  it('keeps what arrived of a CLIXML stream cut short, says it was cut, and never throws a parser error', () => {
    const whole =
      '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S S="Error">Get-VM : The operation failed because_x000D__x000A_</S><S S="Error">the file was not found._x000D__x000A_</S></Objs>';
    for (const cut of [whole.indexOf('</S>') + 4, whole.indexOf('the file') + 5, whole.length - 3]) {
      const streams = parseClixml(whole.slice(0, cut));
      expect(streams.truncated).toBe(true);
      expect(streams.errors[0]).toMatch(/^Get-VM : The operation failed because/);
      expect(streams.errors.at(-1)).toMatch(/cut short/);
    }
    expect(parseClixml(whole).truncated).toBeUndefined();
  });

  it('reads the error and warning streams out of CLIXML, escapes decoded', () => {
    const s = parseClixml(CLIXML);
    expect(s.errors).toEqual(['Get-CimInstance : Access denied', 'At line:1 char:1']);
    expect(s.warnings).toEqual(['disk 2 is offline & skipped']);
    expect(parseClixml('plain failure\n').errors).toEqual(['plain failure']);
    expect(() => parseClixml('#< CLIXML\n<!DOCTYPE x [<!ENTITY a "b">]><Objs/>')).toThrow();
  });

  it('always gets an array back, and PowerShell errors as typed DrkitErrors', () => {
    expect(readEnvelope('op', '{"ok":true,"result":[{"a":1}]}')).toEqual([{ a: 1 }]);
    expect(readEnvelope('op', '\uFEFF{"ok":true,"result":{"a":1}}')).toEqual([{ a: 1 }]);
    expect(readEnvelope('op', '{"ok":true,"result":[]}')).toEqual([]);
    const err = (() => {
      try {
        readEnvelope(
          'windows.discover',
          '{"ok":false,"error":{"type":"Microsoft.Management.Infrastructure.CimException","message":"Access denied","category":"PermissionDenied","id":"HRESULT 0x80041003"}}',
        );
      } catch (e) {
        return e as { code: string; fault: string; message: string };
      }
    })();
    expect([err?.code, err?.fault, err?.message]).toEqual([
      'permission-denied',
      'HRESULT 0x80041003',
      'windows.discover: Access denied',
    ]);
  });

  it('never puts a value on the command line: hostile input travels as JSON on stdin and round-trips', async () => {
    const hostile = [
      "'; Remove-Item C:\\ -Recurse #",
      '$(Stop-Computer)',
      '`whoami`',
      '‘quoted’ ‛x‚',
      'a\r\nb',
      '"; & calc.exe',
      'x'.repeat(65536),
    ];
    const seen: Array<{ line: string; stdin: string }> = [];
    const fake: SshRunner = {
      where: 'fake',
      closed: false,
      async exec(command: RemoteCommand, options: ExecOptions = {}) {
        const line = 'raw' in command ? command.raw : '';
        const stdin = String(options.stdin ?? '');
        seen.push({ line, stdin });
        return {
          stdout: Buffer.from(JSON.stringify({ ok: true, result: JSON.parse(stdin).values })),
          stderr: '',
          code: 0,
        };
      },
      open: () => Promise.reject(new Error('unused')),
      close: async () => {},
    };
    const ps = powershellOverSsh(fake);
    const out = await ps.invoke<string>({ name: 'echo', body: '$in.values' }, { values: hostile });
    expect(out).toEqual(hostile);
    expect(seen[0]!.line).toMatch(
      /^powershell\.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -InputFormat Text -OutputFormat Text -EncodedCommand [A-Za-z0-9+/=]+$/,
    );
    const script = Buffer.from(seen[0]!.line.split(' ').at(-1)!, 'base64').toString('utf16le');
    for (const v of hostile.slice(0, 6)) expect(script).not.toContain(v);
    expect(script).toContain('ConvertFrom-Json');
  });
});
