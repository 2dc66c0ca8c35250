import { describe, expect, it } from 'vitest';
import { decodeInvocation, wrapScript } from '@drkit/powershell';
import { capturedInvocation as sent, HOSTILE_VALUES as HOSTILE } from '../../../test/harness/ps-capture.js';
import { HYPERV_OPERATIONS, HYPERV_RECOVERY_OPERATIONS, HYPERV_REPLICA_OPERATIONS } from '../src/index.js';

// The host's own scripts, Hyper-V Replica's (shared with the VMM adapter) and recovery's.
const OPERATIONS = [...HYPERV_OPERATIONS, ...HYPERV_REPLICA_OPERATIONS, ...HYPERV_RECOVERY_OPERATIONS];

describe('every Hyper-V script builder, fed hostile values', () => {
  it('sends the same fixed script whatever the values: none of them reaches script text', async () => {
    for (const op of OPERATIONS) {
      const clean = decodeInvocation(
        ...(Object.values(
          await sent(op, {
            vmId: '6b1e2a4c-8d3f-4e5a-9b7c-1d2e3f4a5b6c',
            tag: 'drkit-x',
            prefix: 'drkit-x',
            snapshotId: 'Microsoft:X',
            action: 'resync',
            path: 'D:\\x',
            level: 1,
            computerName: 'hv01',
            vhdPath: 'D:\\x.vhdx',
            controller: 'SCSI',
          }),
        ) as [string, string]),
      );
      expect(clean.script, op.name).toBe(wrapScript(op.body));
      for (const value of HOSTILE) {
        const input = {
          vmId: value,
          tag: value,
          prefix: value,
          snapshotId: value,
          action: value,
          path: value,
          level: value,
          computerName: value,
          vhdPath: value,
          controller: value,
        };
        const wire = await sent(op, input);
        const decoded = decodeInvocation(wire.line, wire.stdin);
        expect(decoded.script, `${op.name} with ${JSON.stringify(value).slice(0, 40)}`).toBe(clean.script);
        // The line holds nothing but the executable, switches and base64.
        expect(wire.line).toMatch(
          /^powershell\.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -InputFormat Text -OutputFormat Text -EncodedCommand [A-Za-z0-9+/=]+$/,
        );
        // The input is ASCII JSON (any console code page reads it) and round-trips exactly.
        expect(/^[\x00-\x7f]*$/.test(decoded.input)).toBe(true);
        expect(JSON.parse(decoded.input)).toEqual(input);
      }
    }
  });

  it('reads values only through $in and never evaluates text', () => {
    for (const op of OPERATIONS) {
      // Compiled code only from a fixed single-quoted here-string (PowerShell expands nothing in it).
      const fixed = op.body.replace(/Add-Type -TypeDefinition @'\n[\s\S]*?\n'@/g, '');
      expect(fixed, op.name).not.toMatch(/Invoke-Expression|\biex\b|\[scriptblock\]::Create|Add-Type|-EncodedCommand/i);
      // Wherever a value meets a WQL filter or a file name, it is parsed or pattern-checked first.
      if (/-Filter "[^"]*\$/.test(op.body)) expect(op.body, op.name).toMatch(/\[guid\]::Parse|-notmatch '\^/);
    }
  });
});
