/**
 * Chunk-sized buffers handed back once their data is written, so the next reads land in
 * memory that is already mapped: a fresh 4 MiB buffer per read costs page faults and GC
 * pressure (measured: a quarter of /folder read throughput). Only buffers the engine made
 * and a source filled in place come back here — never one a source returned of its own.
 */
export class ChunkBuffers {
  #free: Buffer[] = [];

  constructor(
    readonly size: number,
    private readonly max: number,
  ) {}

  /** A buffer for a read of `length` bytes, or undefined when that is not a whole chunk. */
  take(length: number): Buffer | undefined {
    if (length !== this.size) return undefined;
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  give(buffer: Buffer): void {
    if (buffer.length === this.size && buffer.byteOffset === 0 && buffer.buffer.byteLength === this.size && this.#free.length < this.max) this.#free.push(buffer);
  }
}
