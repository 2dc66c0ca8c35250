/**
 * Chunk-sized buffers handed back once their data is written, so the next reads land in
 * memory that is already mapped: a fresh 4 MiB buffer per read costs page faults and GC
 * pressure (measured: a quarter of /folder read throughput). Only buffers the engine made
 * and a source filled in place come back here — never one a source returned of its own.
 */
export class ChunkBuffers {
  #free: Buffer[] = [];
  /** Whether the source fills what it is offered: until it shows it does not, new buffers are offered. */
  #offerNew = true;

  constructor(
    readonly size: number,
    private readonly max: number,
    /**
     * Made over SharedArrayBuffers: threads (hashing, uploads) read them in place instead of
     * taking them over and handing them back. Moved back and forth, the buffers a recovery had
     * on the main thread rose and fell by hundreds of MiB, and V8 collected garbage at each rise
     * ("external memory pressure": 54 full collections in 5 s, 1.6 CPU-s of GC threads).
     */
    private readonly options: { shared?: boolean } = {},
  ) {}

  /** A buffer for a read of `length` bytes, or undefined when that is not a whole chunk (or the source ignores them). */
  take(length: number): Buffer | undefined {
    if (length !== this.size) return undefined;
    const made = () =>
      this.options.shared ? Buffer.from(new SharedArrayBuffer(this.size)) : Buffer.allocUnsafeSlow(this.size);
    return this.#free.pop() ?? (this.#offerNew ? made() : undefined);
  }

  /** The source returned memory of its own: stop making buffers it will not use (each is GC pressure). */
  declined(): void {
    this.#offerNew = false;
  }

  giveAll(list: Buffer[]): void {
    for (const b of list) this.give(b);
  }

  give(buffer: Buffer): void {
    if (
      buffer.length === this.size &&
      buffer.byteOffset === 0 &&
      buffer.buffer.byteLength === this.size &&
      this.#free.length < this.max
    )
      this.#free.push(buffer);
  }
}
