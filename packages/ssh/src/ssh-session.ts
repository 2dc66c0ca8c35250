import { connect as tcpConnect } from 'node:net';
import type { Duplex, Readable, Writable } from 'node:stream';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { abortError, DrkitError } from '@drkit/core';
import { hostKeyCheck, type HostKeyPolicy } from './host-key-policy.js';
import { commandLine, commandName, PID_LINE, type RemoteCommand } from './remote-command.js';
import { SessionSlots } from './session-slots.js';
import type { ExecOptions, ExecResult, RemoteProcess, SshRunner } from './ssh-runner.js';

export type { ExecOptions, ExecResult, RemoteProcess } from './ssh-runner.js';
import { exitError, mapConnectError } from './ssh-errors.js';

export interface SshEndpoint {
  host: string;
  /** Default 22. */
  port?: number;
  username: string;
  privateKey?: Buffer | string;
  passphrase?: string;
  password?: string;
  hostKey: HostKeyPolicy;
  /** Channels at once; shrinks to the server's MaxSessions when it refuses more. Default 10, OpenSSH's default. */
  maxSessions?: number;
  /** Default 15 s; the connection is declared lost after 4 unanswered keepalives. */
  keepaliveIntervalMs?: number;
  /** Default 20 s. */
  readyTimeoutMs?: number;
  /** A connected stream to speak SSH over (a proxy, a counting socket); default TCP to host:port. */
  sock?: () => Duplex;
  warn?: (message: string) => void;
}

const STDERR_KEPT = 64 << 10;

/**
 * One SSH connection and the channels on it. Commands are argv or fixed scripts (see
 * RemoteCommand); a burst beyond the server's MaxSessions queues; an abort or a timeout
 * kills the remote process; a dropped connection fails every open call as `unreachable`.
 */
export class SshSession implements SshRunner {
  private readonly slots: SessionSlots;
  private lost: DrkitError | undefined;
  private readonly live = new Set<(error: DrkitError) => void>();
  private warnedLimit = false;

  private constructor(
    private readonly client: Client,
    readonly where: string,
    private readonly endpoint: SshEndpoint,
  ) {
    this.slots = new SessionSlots(endpoint.maxSessions ?? 10);
    client.on('close', () => this.fail(new DrkitError('unreachable', `${where}: connection lost`)));
    client.on('error', (e) => this.fail(mapConnectError(e, where)));
  }

  static async open(endpoint: SshEndpoint, options: { signal?: AbortSignal } = {}): Promise<SshSession> {
    const port = endpoint.port ?? 22;
    const where = `ssh://${endpoint.host}:${port}`;
    const warn = endpoint.warn ?? ((m: string) => process.emitWarning(m));
    const check = await hostKeyCheck(endpoint.hostKey, endpoint.host, port, warn);
    const client = new Client();
    let rejected: DrkitError | undefined;
    const config: ConnectConfig = {
      host: endpoint.host,
      port,
      username: endpoint.username,
      ...(endpoint.privateKey !== undefined && { privateKey: endpoint.privateKey }),
      ...(endpoint.passphrase !== undefined && { passphrase: endpoint.passphrase }),
      ...(endpoint.password !== undefined && { password: endpoint.password }),
      ...(endpoint.sock && { sock: endpoint.sock() as never }),
      readyTimeout: endpoint.readyTimeoutMs ?? 20_000,
      keepaliveInterval: endpoint.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: 4,
      hostVerifier: (key: Buffer) => {
        rejected = check(key);
        return rejected === undefined;
      },
    };
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        client.end();
        reject(abortError(options.signal!));
      };
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      client.once('ready', () => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      client.once('error', (e) => {
        options.signal?.removeEventListener('abort', onAbort);
        client.end();
        reject(rejected ?? mapConnectError(e, where));
      });
      client.connect(config);
    });
    return new SshSession(client, where, endpoint);
  }

  /** Runs a command to its end and collects its output; a non-zero exit throws, typed. */
  async exec(command: RemoteCommand, options: ExecOptions = {}): Promise<ExecResult> {
    const proc = await this.spawn(command, options);
    const max = options.maxOutputBytes ?? 64 << 20;
    const chunks: Buffer[] = [];
    let size = 0;
    let overflow = false;
    proc.stdout.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        if (!overflow) proc.kill();
        overflow = true;
        return;
      }
      chunks.push(c);
    });
    if (options.stdin !== undefined) proc.stdin.end(options.stdin);
    else proc.stdin.end();
    const end = await proc.ended;
    if (overflow) throw new DrkitError('protocol', `${commandName(command)} printed more than ${max} bytes`);
    if (end.error) throw end.error;
    const code = end.code ?? -1;
    if (end.signal || (code !== 0 && !options.okCodes?.includes(code)))
      throw exitError(commandName(command), end, proc.stderrText());
    return { stdout: Buffer.concat(chunks), stderr: proc.stderrText(), code };
  }

  /** Starts a command and hands back its streams; the slot is held until it ends. */
  async open(
    command: RemoteCommand,
    options: Omit<ExecOptions, 'stdin' | 'maxOutputBytes' | 'okCodes'> = {},
  ): Promise<RemoteProcess> {
    const proc = await this.spawn(command, options);
    const done = proc.ended.then((end) => {
      if (end.error) throw end.error;
      if (end.signal || end.code !== 0) throw exitError(commandName(command), end, proc.stderrText());
    });
    done.catch(() => {});
    return { stdin: proc.stdin, stdout: proc.stdout, done, kill: proc.kill };
  }

  get closed(): boolean {
    return this.lost !== undefined;
  }

  /** The channel limit in force (the server's MaxSessions once it refused one). */
  get sessionLimit(): number {
    return this.slots.capacity;
  }

  async close(): Promise<void> {
    if (this.lost) return;
    this.fail(new DrkitError('aborted', `${this.where}: session closed`, { retryable: false }));
    await new Promise<void>((resolve) => {
      this.client.once('close', () => resolve());
      this.client.end();
      setTimeout(resolve, 2000).unref();
    });
  }

  /**
   * Kills a command's whole process group over a side channel, outside the slot count:
   * the signal request alone is not enough (OpenSSH may refuse it, and a shell's children
   * would outlive it). Best effort, retried briefly while the server has no free session.
   */
  private killGroup(pid: number, attempt = 0): void {
    if (this.lost) return;
    this.client.exec(`kill -KILL -- -${pid} 2>/dev/null`, (err, ch) => {
      if (err) {
        if (attempt < 20) setTimeout(() => this.killGroup(pid, attempt + 1), 100).unref();
        return;
      }
      ch.resume();
      ch.stderr.resume();
    });
  }

  private fail(error: DrkitError): void {
    this.lost ??= error;
    for (const notify of [...this.live]) notify(error);
  }

  private async spawn(command: RemoteCommand, options: Pick<ExecOptions, 'signal' | 'timeoutMs'>) {
    const line = commandLine(command);
    const name = commandName(command);
    for (let attempt = 0; ; ) {
      if (this.lost) throw this.lost;
      await this.slots.acquire(options.signal);
      let channel: ClientChannel;
      try {
        channel = await new Promise<ClientChannel>((resolve, reject) =>
          this.client.exec(line, (err, ch) => (err ? reject(err) : resolve(ch))),
        );
      } catch (e) {
        if (this.lost || !/open failed|administratively prohibited/i.test((e as Error).message)) {
          this.slots.release();
          throw this.lost ?? mapConnectError(e, this.where);
        }
        // Refused: the server's MaxSessions. Wait for one of ours to end, or back off
        // while the server reaps sessions we already closed; give up only when neither helps.
        this.slots.refused();
        const othersBusy = this.slots.busy > 1;
        const freed = othersBusy ? this.slots.nextRelease() : undefined;
        this.slots.release();
        if (!this.warnedLimit)
          this.endpoint.warn?.(
            `${this.where}: the server refused a session channel; it allows ${this.slots.capacity < 10 ? this.slots.capacity : 'fewer'} session(s) per connection (MaxSessions) — queueing`,
          );
        this.warnedLimit = true;
        if (freed) await freed;
        else if (attempt++ < 8) await new Promise((r) => setTimeout(r, 20 << attempt));
        else
          throw new DrkitError(
            'busy',
            `${this.where}: the server refuses every session channel (MaxSessions reached by other clients?)`,
          );
        continue;
      }
      this.slots.opened();
      return this.track(channel, name, options, !('raw' in command));
    }
  }

  private track(
    channel: ClientChannel,
    name: string,
    options: Pick<ExecOptions, 'signal' | 'timeoutMs'>,
    announcesPid: boolean,
  ) {
    let stderr = '';
    let pid: number | undefined;
    let killedFor: DrkitError | undefined;
    let closeLater: NodeJS.Timeout | undefined;
    channel.stderr.on('data', (c: Buffer) => {
      if (stderr.length < STDERR_KEPT) stderr += c.toString('utf8');
      if (pid === undefined) {
        const m = PID_LINE.exec(stderr);
        if (m) {
          pid = Number(m[1]);
          stderr = stderr.slice(m[0].length);
          // Killed before the host said which process it is (a timeout or abort that beat
          // the first line, e.g. on a busy host): its group is ended now, then the channel.
          if (killedFor) {
            this.killGroup(pid);
            clearTimeout(closeLater);
            channel.close();
          }
        }
      }
    });
    let exit: { code?: number; signal?: string } | undefined;
    channel.on('exit', (code: number | null, signal?: string) => {
      // ssh2 reports a signal with or without the SIG prefix depending on the server.
      exit = code === null || code === undefined ? { signal: (signal ?? 'UNKNOWN').replace(/^SIG/, '') } : { code };
    });
    const kill = (why?: DrkitError) => {
      killedFor ??= why ?? new DrkitError('aborted', `${name} was stopped`, { retryable: false });
      try {
        channel.signal('KILL');
      } catch {
        // The channel may already be closing.
      }
      if (pid !== undefined) this.killGroup(pid);
      // Closing the channel does not end a command that has no terminal: until its pid line
      // arrives, the channel stays open to read it (a few seconds at most).
      if (pid !== undefined || !announcesPid) channel.close();
      else closeLater ??= setTimeout(() => channel.close(), 5_000);
    };
    const onAbort = () => kill(abortError(options.signal!));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = options.timeoutMs
      ? setTimeout(
          () => kill(new DrkitError('timeout', `${name} did not finish within ${options.timeoutMs} ms`)),
          options.timeoutMs,
        )
      : undefined;
    const ended = new Promise<{ code?: number; signal?: string; error?: DrkitError }>((resolve) => {
      const lostConnection = (error: DrkitError) => resolve({ error });
      this.live.add(lostConnection);
      channel.on('close', () => {
        this.live.delete(lostConnection);
        options.signal?.removeEventListener('abort', onAbort);
        if (timer) clearTimeout(timer);
        clearTimeout(closeLater);
        this.slots.release(true);
        if (killedFor) resolve({ error: killedFor });
        else if (exit) resolve(exit);
        else
          resolve({
            error:
              this.lost ??
              new DrkitError('unreachable', `${this.where}: ${name} ended without an exit status (connection lost?)`),
          });
      });
    });
    if (options.signal?.aborted) onAbort();
    return {
      stdin: channel as Writable,
      stdout: channel as Readable,
      ended,
      kill: () => kill(),
      stderrText: () => stderr,
    };
  }
}

/** Opens a plain TCP socket; the default transport, exported for wrappers that count bytes. */
export function tcpSocket(host: string, port: number): Duplex {
  return tcpConnect({ host, port });
}
