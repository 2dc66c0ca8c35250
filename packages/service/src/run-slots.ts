/**
 * How many runs go at once: at most `total`, and at most `perKey` touching any one endpoint
 * (200 snapshot calls must not land on one vCenter together). Waiters are served in order,
 * but one that cannot start yet does not hold back one behind it that can.
 */
export class RunSlots {
  #running = 0;
  #perKey = new Map<string, number>();
  #waiting: Array<{ keys: string[]; start: () => void }> = [];

  constructor(
    readonly total: number,
    readonly perKey: number,
  ) {}

  /** Resolves with a release function once a slot and every key's slot are free. */
  acquire(keys: string[], signal?: AbortSignal): Promise<() => void> {
    const unique = [...new Set(keys)];
    return new Promise((resolve, reject) => {
      const entry = {
        keys: unique,
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          this.#take(unique);
          let released = false;
          resolve(() => {
            if (released) return;
            released = true;
            this.#give(unique);
          });
        },
      };
      const onAbort = () => {
        this.#waiting = this.#waiting.filter((w) => w !== entry);
        reject(signal!.reason);
      };
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(entry);
      this.#pump();
    });
  }

  #fits(keys: string[]): boolean {
    return this.#running < this.total && keys.every((k) => (this.#perKey.get(k) ?? 0) < this.perKey);
  }

  #take(keys: string[]) {
    this.#running++;
    for (const k of keys) this.#perKey.set(k, (this.#perKey.get(k) ?? 0) + 1);
  }

  #give(keys: string[]) {
    this.#running--;
    for (const k of keys) this.#perKey.set(k, this.#perKey.get(k)! - 1);
    this.#pump();
  }

  #pump() {
    for (const w of [...this.#waiting]) {
      if (!this.#fits(w.keys)) continue;
      this.#waiting = this.#waiting.filter((x) => x !== w);
      w.start();
    }
  }
}
