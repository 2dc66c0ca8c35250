import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { freePort } from './free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A real OpenSSH server (Debian's openssh-server) on a loopback port, as root, with a
 * throwaway host key and client key. Every path is absolute: sshd re-executes itself after
 * chdir("/"), and a relative config path resets every connection during key exchange.
 */
export interface Sshd {
  host: string;
  port: number;
  username: string;
  /** The client's private key (OpenSSH format). */
  clientKey: Buffer;
  clientKeyFile: string;
  /** A known_hosts file that lists this server under [127.0.0.1]:port. */
  knownHostsFile: string;
  /** The host key's fingerprint as ssh-keygen -l prints it. */
  fingerprint: string;
  dir: string;
  /** The sshd listener's pid; its per-connection children are what a test kills to cut links. */
  pid: number;
  stop(): Promise<void>;
}

export interface SshdOptions {
  maxSessions?: number;
  /** Set in every login's environment (sshd's SetEnv; it overrides even PATH). */
  env?: Record<string, string>;
}

/** sshd needs root here (it runs the login as root to reach block devices). */
export function sshdAvailable(): boolean {
  return process.getuid?.() === 0 && existsSync('/usr/sbin/sshd');
}

export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  const dir = await mkdtemp(join(tmpdir(), 'drkit-sshd-'));
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')]);
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client_key.pub')), { mode: 0o600 });
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      `MaxSessions ${options.maxSessions ?? 10}`,
      'MaxStartups 100:30:200',
      'LogLevel ERROR',
      // One directive: sshd keeps the first value of a keyword and ignores later ones.
      ...(options.env
        ? [
            `SetEnv ${Object.entries(options.env)
              .map(([k, v]) => `"${k}=${v}"`)
              .join(' ')}`,
          ]
        : []),
      '',
    ].join('\n'),
  );
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (c: Buffer) => (log += c.toString()));
  await waitForPort(
    port,
    () => child.exitCode !== null,
    () => log,
  );
  const { stdout: fp } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'host_key.pub')]);
  const hostPub = (await readFile(join(dir, 'host_key.pub'), 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  const knownHostsFile = join(dir, 'known_hosts');
  await writeFile(knownHostsFile, `[127.0.0.1]:${port} ${hostPub}\n`);
  return {
    host: '127.0.0.1',
    port,
    username: 'root',
    clientKey: await readFile(join(dir, 'client_key')),
    clientKeyFile: join(dir, 'client_key'),
    knownHostsFile,
    fingerprint: fp.split(/\s+/)[1]!,
    dir,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, exited: () => boolean, log: () => string): Promise<void> {
  const { connect } = await import('node:net');
  for (let i = 0; i < 200; i++) {
    if (exited()) throw new Error(`sshd exited: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`sshd did not listen on ${port}: ${log()}`);
}
