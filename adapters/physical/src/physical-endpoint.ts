import { parseSshUrl, type SshUrl } from '@drkit/ssh';

export type PhysicalEndpoint = SshUrl;

/** Parses `ssh://user@host[:port]`; a password in the URL is refused (history, process lists, logs). */
export function parsePhysicalEndpoint(input: string): PhysicalEndpoint {
  return parseSshUrl(input, 'ssh');
}
