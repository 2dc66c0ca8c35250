import type { ExecOptions, ExecResult, RemoteProcess } from './ssh-session.js';
import type { RemoteCommand } from './remote-command.js';

/**
 * What an adapter needs of an SSH connection. SshSession is the real one; a recorder wraps
 * it and a replayer stands in for it, so adapters run the same against a host or a fixture.
 */
export interface SshRunner {
  /** `ssh://host:port`, for messages. */
  readonly where: string;
  readonly closed: boolean;
  exec(command: RemoteCommand, options?: ExecOptions): Promise<ExecResult>;
  open(command: RemoteCommand, options?: Omit<ExecOptions, 'stdin' | 'maxOutputBytes' | 'okCodes'>): Promise<RemoteProcess>;
  close(): Promise<void>;
}
