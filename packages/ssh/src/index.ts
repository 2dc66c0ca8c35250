export {
  SshSession,
  tcpSocket,
  type ExecOptions,
  type ExecResult,
  type RemoteProcess,
  type SshEndpoint,
} from './ssh-session.js';
export { fingerprintOf, normalizeFingerprint, type HostKeyPolicy } from './host-key-policy.js';
export {
  checkHostKey,
  knownHostName,
  parseKnownHosts,
  type HostKeyVerdict,
  type KnownHostEntry,
} from './known-hosts.js';
export { commandLine, shellQuote, type RemoteCommand } from './remote-command.js';
export type { SshRunner } from './ssh-runner.js';
export { commandName } from './remote-command.js';
export { exitError } from './ssh-errors.js';
export { parseSshUrl, type SshUrl } from './ssh-url.js';
export { BASE_GONE, BlockChannel } from './block-channel.js';
export { blockReads, type BlockHelper, type BlockReads } from './block-reads.js';
