export { SshSession, tcpSocket, type ExecOptions, type ExecResult, type RemoteProcess, type SshEndpoint } from './ssh-session.js';
export { fingerprintOf, normalizeFingerprint, type HostKeyPolicy } from './host-key-policy.js';
export { checkHostKey, knownHostName, parseKnownHosts, type HostKeyVerdict, type KnownHostEntry } from './known-hosts.js';
export { commandLine, shellQuote, type RemoteCommand } from './remote-command.js';
