import type { PageBlobClient } from '@azure/storage-blob';
import { HASH_BYTES, ZERO_ENTRY, type DiskWriter } from '@drkit/core';
import { azureError } from './azure-errors.js';
import { mapRootOf } from './map-root.js';
import type { ReplicaMap } from './replica-map.js';

/** Put Page: at most 4 MiB per request, 512-byte aligned. */
export const MAX_PUT_PAGE = 4 << 20;
const PAGE = 512;

export interface PageWriterOptions {
  /** Put Page / Clear Page requests in flight. Default 8. */
  requests?: number;
  /** Bytes of data copied and waiting or in flight, at most. Default 64 MiB. */
  bufferBytes?: number;
  /** True once the store's lease is gone: no more writes. */
  leaseLost?: () => Error | undefined;
}

/**
 * Writes one disk's changed blocks into its page blob. A batch is logged dirty, its data
 * copied out (the engine reuses its buffers) and sent as parallel Put Page requests of up to
 * 4 MiB — blocks of zeros as Clear Page, never uploaded — and `writeBlocks` returns while
 * they fly, so reading the source, hashing and uploading overlap; memory stays under
 * `bufferBytes`. When every request of a batch is confirmed its checksums are logged
 * (replica-map.ts). The first failure is kept and thrown by the next call.
 */
export class PageWriter implements DiskWriter {
  #inFlight = new Set<Promise<void>>();
  #buffered = 0;
  #failure: unknown;
  #requests = 0;
  #waiters: Array<() => void> = [];
  #buffers = new PieceBuffers();

  constructor(
    private readonly blob: PageBlobClient,
    private readonly map: ReplicaMap,
    readonly blockSize: number,
    readonly hasReplica: boolean,
    readonly previousSize: number,
    private readonly sizeBytes: number,
    private readonly options: PageWriterOptions = {},
  ) {}

  async readMap(firstBlock: number, count: number): Promise<Buffer> {
    return this.map.local.read(firstBlock, count);
  }

  async writeBlocks(blocks: Array<{ index: number; data: Buffer; hash: Buffer }>): Promise<{ undoBytes: number }> {
    this.#check();
    if (blocks.length === 0) return { undoBytes: 0 };
    blocks.sort((a, b) => a.index - b.index);
    const bs = this.blockSize;
    // Pieces: runs of consecutive blocks, split where zero and data blocks alternate and at 4 MiB.
    type Ref = { b: (typeof blocks)[number]; at: number };
    const pieces: Array<{ first: number; count: number; zero: boolean; refs: Ref[]; data?: Buffer; hashes: Buffer }> =
      [];
    for (const b of blocks) {
      const count = Math.ceil(b.data.length / bs);
      for (let at = 0; at < count; at++) {
        const zero = b.hash.subarray(at * HASH_BYTES, (at + 1) * HASH_BYTES).equals(ZERO_ENTRY);
        const last = pieces.at(-1);
        const index = b.index + at;
        if (last && last.first + last.count === index && last.zero === zero && (last.count + 1) * bs <= MAX_PUT_PAGE) {
          last.count++;
          last.refs.push({ b, at });
        } else pieces.push({ first: index, count: 1, zero, refs: [{ b, at }], hashes: Buffer.alloc(0) });
      }
    }
    // Data and checksums copied out of the engine's buffers: it reuses them once this returns.
    let bytes = 0;
    for (const p of pieces) {
      p.hashes = Buffer.allocUnsafe(p.count * HASH_BYTES);
      const data = p.zero ? undefined : this.#buffers.take(this.#paddedLength(p.first, p.count));
      let filled = 0;
      p.refs.forEach(({ b, at }, k) => {
        b.hash.copy(p.hashes, k * HASH_BYTES, at * HASH_BYTES, (at + 1) * HASH_BYTES);
        if (data) filled = k * bs + b.data.copy(data, k * bs, at * bs, Math.min(b.data.length, (at + 1) * bs));
      });
      // A reused buffer: the padding past the disk's last byte (to a whole page) reads as zeros.
      data?.fill(0, filled);
      p.refs = [];
      if (data) p.data = data;
      bytes += data?.length ?? 0;
    }
    while (this.#buffered > 0 && this.#buffered + bytes > (this.options.bufferBytes ?? 64 << 20))
      await this.#settleOne();
    this.#check();
    this.#buffered += bytes;
    // The batch's data goes out only once its ranges are logged dirty; the engine goes on meanwhile.
    const sent = this.map
      .markDirty(pieces.map((p) => [p.first, p.count]))
      .then(() => Promise.all(pieces.map((p) => this.#send(p))))
      .then(() => this.map.setHashes(pieces.map((p) => ({ first: p.first, hashes: p.hashes }))))
      .catch((error: unknown) => {
        this.#failure ??= error;
      })
      .finally(() => {
        this.#buffered -= bytes;
        this.#inFlight.delete(sent);
      });
    this.#inFlight.add(sent);
    return { undoBytes: 0 };
  }

  /** Waits for every request, then returns the root of the map (the point's checksum of this disk). */
  async finish(): Promise<string> {
    while (this.#inFlight.size > 0) await Promise.race(this.#inFlight);
    this.#check();
    return mapRootOf(this.map.local, this.sizeBytes);
  }

  /** Lets whatever is in flight end (a failed run), without throwing. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
  }

  #paddedLength(first: number, count: number): number {
    const start = first * this.blockSize;
    const end = Math.min(this.sizeBytes, (first + count) * this.blockSize);
    return Math.ceil((end - start) / PAGE) * PAGE;
  }

  async #send(p: { first: number; count: number; zero: boolean; data?: Buffer }): Promise<void> {
    await this.#slot();
    try {
      this.#check();
      const offset = p.first * this.blockSize;
      const length = p.data?.length ?? this.#paddedLength(p.first, p.count);
      if (p.data) {
        await this.blob.uploadPages(p.data, offset, length);
        this.#buffers.give(p.data);
        p.data = undefined;
      } else await this.blob.clearPages(offset, length);
    } catch (error) {
      throw azureError(error, `writing disk blob ${this.blob.name}`);
    } finally {
      this.#release();
    }
  }

  async #slot(): Promise<void> {
    while (this.#requests >= (this.options.requests ?? 8)) await new Promise<void>((r) => this.#waiters.push(r));
    this.#requests++;
  }

  #release(): void {
    this.#requests--;
    this.#waiters.shift()?.();
  }

  async #settleOne(): Promise<void> {
    if (this.#inFlight.size > 0) await Promise.race(this.#inFlight);
  }

  #check(): void {
    const lost = this.options.leaseLost?.();
    if (lost) throw lost;
    if (this.#failure) throw this.#failure;
  }
}

/**
 * Reused piece buffers, by size (most pieces of a run are the same size): an initial copy
 * sends the disk's data once, and allocating it anew each time cost ~2 s of garbage
 * collection per GiB beside an emulator that needs the same cores.
 */
class PieceBuffers {
  #free = new Map<number, Buffer[]>();
  take(length: number): Buffer {
    const b = this.#free.get(length)?.pop() ?? Buffer.allocUnsafe(length);
    return b;
  }
  give(b: Buffer): void {
    const list = this.#free.get(b.length) ?? [];
    if (list.length < 32) list.push(b);
    this.#free.set(b.length, list);
  }
}
