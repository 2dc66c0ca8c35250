import { DrkitError } from '@drkit/core';
import type { RemoteProcess, SshRunner } from '@drkit/ssh';

/**
 * fsfreeze held by a remote watchdog: the filesystems stay frozen until we send a line,
 * the connection drops (stdin reaches EOF) or the budget runs out — whichever comes first
 * thaws them. So a lost client can never leave a server frozen.
 */
const FREEZE_SCRIPT = String.raw`
budget=$1; shift
for m; do
  if ! fsfreeze -f "$m"; then
    for t; do fsfreeze -u "$t" 2>/dev/null; done
    exit 3
  fi
done
echo frozen
timeout "$budget" head -n 1 >/dev/null
rc=0
for m; do fsfreeze -u "$m" || rc=4; done
echo thawed
exit $rc
`;

export interface Freeze {
  frozenAt: number;
  /**
   * True once the freeze may have ended: the budget has run out (measured from before the
   * helper started, so the host's own timer cannot be earlier) or the helper said "thawed".
   * A snapshot finished after this is not app-consistent.
   */
  mayHaveEnded(): boolean;
  /** Thaws now; resolves when the host confirmed every filesystem thawed. Idempotent. */
  thaw(): Promise<void>;
}

export async function freezeFilesystems(
  session: SshRunner,
  mountpoints: string[],
  budgetMs: number,
  signal?: AbortSignal,
): Promise<Freeze> {
  const seconds = Math.max(1, Math.floor(budgetMs / 100) / 10);
  const heldUntil = Date.now() + seconds * 1000;
  const proc = await session.open({ script: FREEZE_SCRIPT, args: [seconds.toFixed(1), ...mountpoints] }, { signal });
  let output = '';
  proc.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
  await waitForLine(proc, 'frozen');
  const frozenAt = Date.now();
  let thawed: Promise<void> | undefined;
  return {
    frozenAt,
    mayHaveEnded: () => Date.now() >= heldUntil || output.split('\n').includes('thawed'),
    thaw() {
      thawed ??= (async () => {
        proc.stdin.end('\n');
        await proc.done;
      })();
      return thawed;
    },
  };
}

async function waitForLine(proc: RemoteProcess, expected: string): Promise<void> {
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (c: Buffer) => {
      seen += c.toString('utf8');
      if (seen.split('\n').includes(expected)) {
        proc.stdout.off('data', onData);
        resolve();
      }
    };
    proc.stdout.on('data', onData);
    proc.done.then(
      () => reject(new DrkitError('protocol', `the freeze helper ended before saying "${expected}"`)),
      (e: unknown) =>
        reject(
          e instanceof Error && DrkitError.isInstance(e) && e.fault === 'exit 3'
            ? new DrkitError('platform', `fsfreeze failed: ${e.message}`, { cause: e, fault: 'FreezeFailed' })
            : e,
        ),
    );
  });
  // Keep the stream flowing so "thawed" never blocks the helper.
  proc.stdout.resume();
}
