import { PassThrough, Writable } from 'node:stream';
import { FRAME_MARK } from '@drkit/powershell';
import type { ExecOptions, RemoteCommand, RemoteProcess, SshRunner } from '@drkit/ssh';
import { isSessionCommand, sessionRequests } from './ps-session-requests.js';

/**
 * MOCK of a Windows Server 2022 host behind its OpenSSH server (no Windows here; unlike the
 * Hyper-V and VMM stubs, not run in pwsh yet): cmd.exe answers `uname -s` as it does, and each PowerShell operation —
 * a one-shot -EncodedCommand whose script it checks for the stdin contract, or a request
 * line to drkit's PowerShell session — returns what the real scripts print on such a host: CIM results shaped
 * after the Win32_* class documentation, diskshadow's and vssadmin's published output. It
 * keeps the shadow registry drkit writes, so snapshots can be listed and deleted.
 */
export function fakeWindowsHost(options: { failedWriter?: string } = {}): {
  runner: () => Promise<SshRunner>;
  calls: Array<{ name: string; input: unknown }>;
  shadows: Map<string, { tag: string; takenAt: string }>;
} {
  const calls: Array<{ name: string; input: unknown }> = [];
  const shadows = new Map<string, { tag: string; takenAt: string }>();
  let copies = 10;
  const envelope = (result: unknown) =>
    Buffer.from(JSON.stringify({ ok: true, result: Array.isArray(result) ? result : [result] }));
  const answer = (name: string, input: Record<string, unknown> | undefined): Buffer => {
    switch (name) {
      case 'windows.discover':
        return envelope({
          hostname: 'WIN-SQL01',
          domain: 'corp.example',
          uuid: '4C4C4544-0042-3510-8052-B7C04F4E3732',
          os: { caption: 'Microsoft Windows Server 2022 Standard', version: '10.0.20348', build: '20348' },
          cpus: 8,
          memoryBytes: '34359738368',
          disks: [
            {
              index: 0,
              deviceId: '\\\\.\\PHYSICALDRIVE0',
              model: 'Dell PERC H755 SCSI Disk Device',
              serial: '0042a1b2c3d4e5f6',
              sizeBytes: '479554560000',
            },
            {
              index: 1,
              deviceId: '\\\\.\\PHYSICALDRIVE1',
              model: 'Dell PERC H755 SCSI Disk Device',
              serial: '0042a1b2c3d4e5f7',
              sizeBytes: '1919850381312',
            },
          ],
          volumes: [
            {
              deviceId: '\\\\?\\Volume{0f3b6a2e-1c2d-4e5f-8a9b-0c1d2e3f4a5b}\\',
              driveLetter: '',
              fileSystem: 'NTFS',
              capacityBytes: '523235328',
              label: 'Recovery',
            },
            {
              deviceId: '\\\\?\\Volume{5d7e8f90-1a2b-4c3d-9e8f-7a6b5c4d3e2f}\\',
              driveLetter: 'C:',
              fileSystem: 'NTFS',
              capacityBytes: '478555713536',
              label: '',
            },
            {
              deviceId: '\\\\?\\Volume{9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d}\\',
              driveLetter: 'D:',
              fileSystem: 'NTFS',
              capacityBytes: '1919848284160',
              label: 'SQLData',
            },
            {
              deviceId: '\\\\?\\Volume{1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e}\\',
              driveLetter: 'E:',
              fileSystem: 'CDFS',
              capacityBytes: '0',
              label: 'DVD',
            },
          ],
          nics: [
            {
              description: 'Intel(R) Ethernet 10G 2P X710 Adapter',
              mac: '00:00:5E:00:53:10',
              addresses: ['192.0.2.40', '2001:db8::40'],
            },
          ],
          vss: true,
        });
      case 'windows.vss.take': {
        const vols = (input!.volumes as string[]) ?? [];
        const set = '{8356e764-3956-4625-b191-c42ea5dd30d5}';
        const ids = vols.map(
          (_v, i) => `{e4c28c5f-6e9b-4c26-a61d-${(copies * 16 + i).toString(16).padStart(12, '0')}}`,
        );
        let text = '';
        vols.forEach((_v, i) => {
          text += `Alias drkit${i} for shadow ID ${ids[i]} set as environment variable.\r\n`;
        });
        text += `Alias VSS_SHADOW_SET for shadow set ID ${set} set as environment variable.\r\n\r\nQuerying all shadow copies with the shadow copy set ID ${set}\r\n\r\n`;
        vols.forEach((v, i) => {
          copies++;
          text += `\t* Shadow copy ID = ${ids[i]}\t\t%drkit${i}%\r\n\t\t- Shadow copy set: ${set}\t%VSS_SHADOW_SET%\r\n\t\t- Original count of shadow copies = ${vols.length}\r\n\t\t- Original volume name: \\\\?\\Volume{5d7e8f90-1a2b-4c3d-9e8f-7a6b5c4d3e2f}\\ [${v}\\]\r\n\t\t- Creation time: 11/23/2026 6:30:01 AM\r\n\t\t- Shadow copy device name: \\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy${copies}\r\n\t\t- Originating machine: WIN-SQL01.corp.example\r\n\t\t- Service machine: WIN-SQL01.corp.example\r\n\t\t- Not exposed\r\n\t\t- Provider ID: {b5946137-7b9f-4925-af80-51abd60b20d5}\r\n\t\t- Attributes:  No_Auto_Release Persistent Differential\r\n\r\n`;
        });
        text += `Number of shadow copies listed: ${vols.length}\r\n`;
        const writer = (n: string, failed: boolean) =>
          `Writer name: '${n}'\r\n   Writer Id: {a65faa63-5ea8-4ebc-9dbd-a0c4db26912a}\r\n   Writer Instance Id: {9a4f0f9c-1b2e-4f8a-9c3d-2e1f0a9b8c7d}\r\n   State: ${failed ? '[8] Failed' : '[1] Stable'}\r\n   Last error: ${failed ? 'Non-retryable error' : 'No error'}\r\n\r\n`;
        const writers = input!.writers
          ? `vssadmin 1.1 - Volume Shadow Copy Service administrative command-line tool\r\n(C) Copyright 2001-2013 Microsoft Corp.\r\n\r\n${writer('System Writer', false)}${writer('SqlServerWriter', options.failedWriter === 'SqlServerWriter')}${writer('Registry Writer', false)}`
          : '';
        shadows.set(String(input!.name), { tag: String(input!.tag), takenAt: '2026-11-23T06:30:01.0000000Z' });
        return envelope({ exitCode: 0, diskshadow: text, writers });
      }
      case 'windows.vss.delete':
        shadows.delete(String(input!.name));
        return envelope([]);
      case 'windows.vss.list':
        return envelope([...shadows].map(([name, e]) => ({ name, ...e })));
      default:
        throw new Error(`fake Windows host: no transcript for ${name}`);
    }
  };
  const runner: SshRunner = {
    where: 'ssh://fake-windows',
    closed: false,
    async exec(command: RemoteCommand, opts: ExecOptions = {}) {
      if (!('raw' in command))
        return {
          stdout: Buffer.alloc(0),
          stderr: `'${'argv' in command ? command.argv[0] : 'sh'}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n`,
          code: 1,
        };
      if (command.raw === 'uname -s') {
        if (opts.okCodes?.includes(1))
          return {
            stdout: Buffer.alloc(0),
            stderr:
              "'uname' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n",
            code: 1,
          };
        throw new Error('uname must be asked with okCodes');
      }
      const b64 = /-EncodedCommand ([A-Za-z0-9+/=]+)$/.exec(command.raw)?.[1];
      const script = Buffer.from(b64 ?? '', 'base64').toString('utf16le');
      if (!script.includes('ConvertFrom-Json') || !script.includes("$ProgressPreference = 'SilentlyContinue'"))
        throw new Error('script without the stdin/JSON wrapper');
      const stdin = String(opts.stdin ?? '');
      const input = stdin ? (JSON.parse(stdin) as Record<string, unknown>) : undefined;
      calls.push({ name: command.name, input });
      return { stdout: answer(command.name, input), stderr: '', code: 0 };
    },
    // drkit's PowerShell session: one request per stdin line, one framed answer per request.
    async open(command: RemoteCommand): Promise<RemoteProcess> {
      if (!isSessionCommand(command)) throw new Error('fake Windows host: no streams but the PowerShell session');
      const stdout = new PassThrough();
      let settle: () => void = () => {};
      const done = new Promise<void>((resolve) => (settle = resolve));
      const read = sessionRequests((request) => {
        calls.push({ name: request.op, input: request.input });
        stdout.write(`${FRAME_MARK}${request.id} ${answer(request.op, request.input).toString('utf8')}\r\n`);
      });
      const stdin = new Writable({
        write(chunk: Buffer, _enc, cb) {
          try {
            read(chunk);
          } catch (error) {
            return cb(error as Error);
          }
          cb();
        },
        final(cb) {
          stdout.end();
          settle();
          cb();
        },
      });
      stdout.write(`${FRAME_MARK}ready\r\n`);
      return { stdin, stdout, done, kill: () => stdin.destroy() };
    },
    close: async () => {},
  };
  return { runner: async () => runner, calls, shadows };
}
