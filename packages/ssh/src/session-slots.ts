/**
 * Channels in use on one connection. OpenSSH refuses sessions beyond MaxSessions (10 by
 * default, often lowered): the limit starts at what the caller says and shrinks to what
 * the server proved it accepts, so a burst of commands queues instead of failing.
 */
export class SessionSlots {
  private inUse = 0;
  /** Channels the server confirmed and that are still open (inUse counts pending opens too). */
  private confirmed = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly releaseWatchers: Array<() => void> = [];

  constructor(private limit: number) {}

  get capacity(): number {
    return this.limit;
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    while (this.inUse >= this.limit) {
      signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          const i = this.waiting.indexOf(wake);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(signal!.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(wake);
      });
    }
    this.inUse++;
  }

  /** The server opened the channel this slot was acquired for. */
  opened(): void {
    this.confirmed++;
  }

  /** Frees a slot; `wasOpen` when the server had opened its channel. */
  release(wasOpen = false): void {
    if (wasOpen) this.confirmed--;
    this.inUse--;
    this.waiting.shift()?.();
    for (const w of this.releaseWatchers.splice(0)) w();
  }

  /** Slots held, pending opens included. */
  get busy(): number {
    return this.inUse;
  }

  /** Resolves at the next release: when a refused open is worth retrying. */
  nextRelease(): Promise<void> {
    return new Promise((resolve) => this.releaseWatchers.push(resolve));
  }

  /**
   * The server refused a channel. The ones it had confirmed are its limit; pending opens
   * do not count (ssh2 confirms a channel only after its exec request is answered), and a
   * refusal with none confirmed proves nothing — the server may still be reaping closed ones.
   */
  refused(): void {
    if (this.confirmed >= 1) this.limit = Math.min(this.limit, this.confirmed);
  }
}
