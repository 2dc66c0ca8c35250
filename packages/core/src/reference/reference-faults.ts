import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DrkitError, type DrkitErrorCode } from '@drkit/spec';

export type FaultPhase = 'discover' | 'prepare' | 'take' | 'release' | 'delete' | 'read';

/**
 * A fault to inject into the reference adapter, from the factory's options or from
 * `<site>/faults.json` (so a CLI run in a child process can be given one).
 */
export interface Fault {
  phase: FaultPhase;
  /** Only this machine (folder name); every machine when absent. */
  machine?: string;
  code?: DrkitErrorCode;
  message?: string;
  /** Wait this long first (e.g. to blow a freeze budget). No error unless `code` is set too. */
  delayMs?: number;
  /** For `read`: fail once this many bytes have been read in this process. */
  afterBytes?: number;
  /** How many times it fires; unlimited when absent. */
  times?: number;
}

export class FaultInjector {
  #fired = new Map<Fault, number>();
  #bytesRead = 0;
  constructor(private readonly faults: Fault[]) {}

  static async load(site: string, extra: Fault[] = []): Promise<FaultInjector> {
    const fromFile = await readFile(join(site, 'faults.json'), 'utf8').then(
      (t) => JSON.parse(t) as Fault[],
      () => [],
    );
    return new FaultInjector([...extra, ...fromFile]);
  }

  async at(phase: FaultPhase, machine?: string, bytes = 0): Promise<void> {
    if (phase === 'read') this.#bytesRead += bytes;
    for (const f of this.faults) {
      if (f.phase !== phase || (f.machine && f.machine !== machine)) continue;
      if (f.afterBytes !== undefined && this.#bytesRead < f.afterBytes) continue;
      const fired = this.#fired.get(f) ?? 0;
      if (f.times !== undefined && fired >= f.times) continue;
      this.#fired.set(f, fired + 1);
      if (f.delayMs) await sleep(f.delayMs);
      if (f.code || !f.delayMs) {
        throw new DrkitError(
          f.code ?? 'platform',
          f.message ?? `injected ${phase} fault${machine ? ` on ${machine}` : ''}`,
          { fault: 'InjectedFault' },
        );
      }
    }
  }
}
