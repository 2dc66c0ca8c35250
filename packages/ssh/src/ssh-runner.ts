import type { Readable, Writable } from 'node:stream';
import type { RemoteCommand } from './remote-command.js';

/**
 * What an adapter needs of an SSH connection. SshSession is the real one; a recorder wraps
 * it and a replayer stands in for it, so adapters run the same against a host or a fixture.
 */
export interface SshRunner {
  /** `ssh://host:port`, for messages. */
  readonly where: string;
  readonly closed: boolean;
  /**
   * A recorder or replayer: long-lived sessions (PowerShell) keep to one stream, since which of
   * several streams answers a call depends on timing a replay cannot reproduce.
   */
  readonly singleStream?: boolean;
  exec(command: RemoteCommand, options?: ExecOptions): Promise<ExecResult>;
  open(
    command: RemoteCommand,
    options?: Omit<ExecOptions, 'stdin' | 'maxOutputBytes' | 'okCodes'>,
  ): Promise<RemoteProcess>;
  close(): Promise<void>;
}

export interface ExecOptions {
  stdin?: string | Uint8Array;
  signal?: AbortSignal;
  /** Kills the remote process and fails with `timeout` after this long. */
  timeoutMs?: number;
  /** Output beyond this fails the call (and kills the process). Default 64 MiB. */
  maxOutputBytes?: number;
  /** Exit codes that are answers rather than failures (grep's 1). */
  okCodes?: readonly number[];
}

export interface ExecResult {
  stdout: Buffer;
  stderr: string;
  code: number;
}

/** A remote process with live streams, for helpers that talk back and forth. */
export interface RemoteProcess {
  readonly stdin: Writable;
  readonly stdout: Readable;
  /** Settles when the process ends: a non-zero exit, a signal or a lost connection reject, typed. */
  readonly done: Promise<void>;
  /**
   * Ends the remote process: SIGKILL to the process sshd started, then the channel closes.
   * Commands are exec'd (no shell left in between), and fixed scripts exec their
   * long-running step, so the signal reaches what is running.
   */
  kill(): void;
}
