import { spawn } from 'node:child_process';
import {
  commandLine,
  commandName,
  exitError,
  type ExecOptions,
  type RemoteCommand,
  type RemoteProcess,
  type SshRunner,
} from '@drkit/ssh';

/**
 * An SshRunner that runs each command line in a local `sh -c`, as sshd would hand it to the
 * login shell — for tests whose "host" is this machine with some tools stood in for (see
 * fake-volume-host.ts). The scripts under test run for real; only the transport is skipped.
 */
export function localRunner(env: Record<string, string>): SshRunner {
  let closed = false;
  const start = (command: RemoteCommand) => {
    const child = spawn('sh', ['-c', commandLine(command)], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group, ended whole by kill(): as a host's sshd ends what a closed
      // channel started (Windows' OpenSSH puts it in a job), whatever launcher sits between.
      detached: true,
    });
    // A command that exits without reading its input (uname) closes the pipe first: as over
    // SSH, that is not an error of the command.
    child.stdin.on('error', () => {});
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const ended = new Promise<{ code?: number; signal?: string }>((resolve) =>
      child.on('close', (code, signal) =>
        resolve(signal ? { signal: signal.replace(/^SIG/, '') } : { code: code ?? -1 }),
      ),
    );
    return { child, ended, stderr: () => stderr.replace(/^drkit-pid:\d+\n/, '') };
  };
  return {
    where: 'local://',
    get closed() {
      return closed;
    },
    async exec(command: RemoteCommand, options: ExecOptions = {}) {
      const { child, ended, stderr } = start(command);
      const out: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stdin.end(options.stdin ?? '');
      const end = await ended;
      if (end.signal || (end.code !== 0 && !options.okCodes?.includes(end.code!)))
        throw exitError(commandName(command), end, stderr());
      return { stdout: Buffer.concat(out), stderr: stderr(), code: end.code! };
    },
    async open(command: RemoteCommand): Promise<RemoteProcess> {
      const { child, ended, stderr } = start(command);
      const done = ended.then((end) => {
        if (end.signal || end.code !== 0) throw exitError(commandName(command), end, stderr());
      });
      done.catch(() => {});
      const kill = () => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      };
      return { stdin: child.stdin, stdout: child.stdout, done, kill };
    },
    async close() {
      closed = true;
    },
  };
}
