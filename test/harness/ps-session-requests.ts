import { SESSION_LOOP, decodeInvocation } from '@drkit/powershell';
import type { RemoteCommand } from '@drkit/ssh';

/** One call as drkit writes it to a PowerShell session's stdin (see ps-session-loop.ts). */
export interface SessionRequest {
  id: number;
  op: string;
  // biome-ignore lint/suspicious/noExplicitAny: stub hosts read inputs as the tests wrote them
  input?: any;
}

/** True for the command line that starts drkit's PowerShell session. */
export function isSessionCommand(command: RemoteCommand): boolean {
  return 'raw' in command && decodeInvocation(command.raw, '').script === SESSION_LOOP;
}

/**
 * Splits what arrives on a session's stdin into its requests, one per line, as the loop
 * reads them; a line that is not ASCII JSON throws (drkit sends nothing else).
 */
export function sessionRequests(onRequest: (request: SessionRequest) => void): (chunk: Buffer) => void {
  let partial = '';
  return (chunk) => {
    const lines = (partial + chunk.toString('latin1')).split('\n');
    partial = lines.pop()!;
    for (const line of lines.filter((l) => l.trim())) {
      if (/[^\x00-\x7f]/.test(line)) throw new Error('stdin must be ASCII JSON');
      onRequest(JSON.parse(line) as SessionRequest);
    }
  };
}
