import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { decodeInvocation } from '@drkit/powershell';
import type { RemoteProcess, SshRunner } from '@drkit/ssh';
import { localRunner } from './local-runner.js';
import { isSessionCommand, sessionRequests } from './ps-session-requests.js';

const HERE = new URL('./pwsh-stub/', import.meta.url).pathname;

/** Real pwsh (PowerShell 7): on PATH, or where `dotnet tool install --global PowerShell` puts it. */
export const PWSH: string | undefined = (() => {
  for (const candidate of [process.env.DRKIT_PWSH, join(homedir(), '.dotnet/tools/pwsh')])
    if (candidate && existsSync(candidate)) return candidate;
  try {
    return execFileSync('sh', ['-c', 'command -v pwsh'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
})();

export const NO_PWSH_REASON =
  'no pwsh on this machine (`dotnet tool install --global PowerShell --version 7.6.9`, as .ci/run does)';

export interface PwshStubHost {
  /** An SSH runner whose "host" runs each command line here: `powershell.exe` is real pwsh with the stub loaded. */
  runner: () => Promise<SshRunner>;
  /** Every operation the host was asked to run, with the input it was given (decoded from stdin). */
  // biome-ignore lint/suspicious/noExplicitAny: stub state is free-form JSON the tests read as they wrote it
  calls: Array<{ name: string; input: any }>;
  /** Where the stub keeps the files that hold its disks' data (Hyper-V: `DC01-os.raw`; a Windows server: `C.raw` and its `C.raw.bitmap`). */
  disksDir: string;
  /** The stub's state as the scripts left it (VMs, snapshots, replication, jobs, events). */
  // biome-ignore lint/suspicious/noExplicitAny: as above
  state: () => Record<string, any>;
  /** Replaces the stub's state, between calls (to plant a host-side fault). */
  // biome-ignore lint/suspicious/noExplicitAny: as above
  setState: (next: Record<string, any>) => void;
  dispose: () => void;
  /** What a login on this host must have in its environment (an sshd's SetEnv) to be the stub host. */
  env: Record<string, string>;
}

/**
 * A stub Windows host whose PowerShell is REAL pwsh: drkit's scripts arrive exactly as over
 * SSH (the same command line and stdin) and run unchanged; only the host's cmdlets and CIM
 * classes are stubs (test/harness/pwsh-stub/*.ps1). State lives in a JSON file per host.
 */
export function pwshStubHost(
  stub: 'hyperv-host' | 'vmm-server' | 'windows-server',
  options: { role?: 'primary' | 'replica'; computerName?: string; env?: Record<string, string> } = {},
): PwshStubHost {
  if (!PWSH) throw new Error(NO_PWSH_REASON);
  const dir = mkdtempSync(join(tmpdir(), `drkit-${stub}-`));
  const statePath = join(dir, 'state.json');
  const disksDir = join(dir, 'disks');
  mkdirSync(disksDir);
  const env = {
    // A Windows server's login is cmd.exe: `uname` is not a command there.
    PATH: `${HERE}bin:${stub === 'windows-server' ? `${HERE}windows-bin:` : ''}${process.env.PATH}`,
    DRKIT_PWSH: PWSH,
    DRKIT_PS_STUB: `${HERE}${stub}.ps1`,
    DRKIT_STUB_STATE: statePath,
    DRKIT_STUB_DISKS: disksDir,
    DRKIT_STUB_ROLE: options.role ?? 'primary',
    ...(options.computerName && { DRKIT_STUB_COMPUTERNAME: options.computerName }),
    // pwsh's first-run telemetry and update checks have no place in a test.
    POWERSHELL_TELEMETRY_OPTOUT: '1',
    POWERSHELL_UPDATECHECK: 'Off',
    ...options.env,
  };
  const calls: PwshStubHost['calls'] = [];
  const runner = localRunner(env);
  const exec = runner.exec.bind(runner);
  runner.exec = (command, opts = {}) => {
    if (!('raw' in command)) throw new Error('a Windows host is only ever sent PowerShell');
    // How the physical adapter tells Windows from Linux: cmd.exe (windows-bin/uname) answers.
    if (stub === 'windows-server' && command.raw === 'uname -s') return exec(command, opts);
    const { input } = decodeInvocation(command.raw, String(opts.stdin ?? ''));
    if (/[^\x00-\x7f]/.test(input)) throw new Error('stdin must be ASCII JSON');
    calls.push({ name: command.name, input: input ? JSON.parse(input) : undefined });
    return exec(command, opts);
  };
  // A PowerShell session: each request line on its stdin is a call, read as the loop reads it.
  const open = runner.open.bind(runner);
  const sessions = new Set<RemoteProcess>();
  runner.open = async (command, opts) => {
    const proc = await open(command, opts);
    if (!isSessionCommand(command)) return proc;
    sessions.add(proc);
    void proc.done.catch(() => {}).finally(() => sessions.delete(proc));
    const read = sessionRequests((request) => calls.push({ name: request.op, input: request.input }));
    const stdin = new Writable({
      write(chunk: Buffer, _enc, cb) {
        try {
          read(chunk);
        } catch (error) {
          return cb(error as Error);
        }
        proc.stdin.write(chunk, cb);
      },
      final(cb) {
        proc.stdin.end(cb);
      },
    });
    stdin.on('error', () => {});
    return { ...proc, stdin, kill: () => proc.kill() };
  };
  return {
    env,
    runner: async () => runner,
    calls,
    disksDir,
    state: () =>
      existsSync(statePath) ? (JSON.parse(readFileSync(statePath, 'utf8')) as Record<string, unknown> as never) : {},
    setState: (next) => writeFileSync(statePath, JSON.stringify(next)),
    dispose: () => {
      for (const p of sessions) p.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
