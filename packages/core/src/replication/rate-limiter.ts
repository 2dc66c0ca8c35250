import { setTimeout as sleep } from 'node:timers/promises';

/** A byte-rate limit over a sliding second: `take(n)` waits until n more bytes fit. */
export class RateLimiter {
  #allowance: number;
  #last = performance.now();
  constructor(private readonly bytesPerSecond: number | undefined) {
    this.#allowance = bytesPerSecond ?? 0;
  }

  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    const rate = this.bytesPerSecond;
    if (!rate) return;
    const now = performance.now();
    this.#allowance = Math.min(rate, this.#allowance + ((now - this.#last) / 1000) * rate);
    this.#last = now;
    this.#allowance -= bytes;
    if (this.#allowance < 0) await sleep((-this.#allowance / rate) * 1000, undefined, { signal });
  }
}
