import type { PageBlobClient } from '@azure/storage-blob';
import { Readable } from 'node:stream';
import { HASH_BYTES, isZeroRange, type BlocksAccepted, type DiskWriter } from '@drkit/core';
import { azureError } from './azure-errors.js';
import { mapRootOf } from './map-root.js';
import type { ReplicaMap } from './replica-map.js';

/** Put Page: at most 4 MiB per request, 512-byte aligned. */
export const MAX_PUT_PAGE = 4 << 20;
const PAGE = 512;

export interface PageWriterOptions {
  /** Put Page / Clear Page requests in flight. Default 8. */
  requests?: number;
  /** Bytes of the caller's data held (waiting or in flight), at most. Default 64 MiB. */
  bufferBytes?: number;
  /** True once the store's lease is gone: no more writes. */
  leaseLost?: () => Error | undefined;
}

/**
 * Writes one disk's changed blocks into its page blob. A batch is logged dirty and sent as
 * parallel Put Page requests of up to 4 MiB straight from the engine's memory — blocks of
 * zeros as Clear Page, never uploaded — and `writeBlocks` returns while they fly (with a
 * `released` promise: the engine reuses those buffers only after it), so reading the source,
 * hashing and uploading overlap; the data held stays under `bufferBytes`. When every request
 * of a batch is confirmed its checksums are kept, and logged with the next append
 * (replica-map.ts). The first failure is kept and thrown by the next call.
 */
export class PageWriter implements DiskWriter {
  #inFlight = new Set<Promise<void>>();
  #buffered = 0;
  #failure: unknown;
  #requests = 0;
  #waiters: Array<() => void> = [];

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

  async writeBlocks(blocks: Array<{ index: number; data: Buffer; hash: Buffer }>): Promise<BlocksAccepted> {
    this.#check();
    if (blocks.length === 0) return { undoBytes: 0 };
    blocks.sort((a, b) => a.index - b.index);
    const bs = this.blockSize;
    // Pieces: runs of consecutive blocks, split where zero and data blocks alternate and at 4 MiB,
    // taken as one slice per run, not one per 4 KiB block (~5 small objects per block were 90 ms
    // of the main thread per GiB). A piece's data stays in the engine's memory (`released` tells
    // it when it may reuse it): an initial copy would otherwise copy every byte it sends once more.
    const pieces: Piece[] = [];
    const perPiece = Math.floor(MAX_PUT_PAGE / bs);
    for (const b of blocks) {
      const count = Math.ceil(b.data.length / bs);
      for (let at = 0; at < count; ) {
        const zero = isZeroEntry(b.hash, at);
        let end = at + 1;
        while (end < count && isZeroEntry(b.hash, end) === zero) end++;
        for (let from = at; from < end; ) {
          const index = b.index + from;
          let piece = pieces.at(-1);
          if (!piece || piece.first + piece.count !== index || piece.zero !== zero || piece.count === perPiece) {
            piece = { first: index, count: 0, zero, parts: [], hashes: [] };
            pieces.push(piece);
          }
          const to = Math.min(end, from + perPiece - piece.count);
          piece.count += to - from;
          piece.hashes.push(b.hash.subarray(from * HASH_BYTES, to * HASH_BYTES));
          if (!zero) appendPart(piece.parts, b.data.subarray(from * bs, to * bs));
          from = to;
        }
        at = end;
      }
    }
    let bytes = 0;
    const ready = pieces.map((p) => {
      const length = this.#paddedLength(p.first, p.count);
      const held = p.parts.reduce((n, d) => n + d.length, 0);
      // The disk's last page: the bytes past its end read as zeros.
      if (!p.zero && held < length) p.parts.push(Buffer.alloc(length - held));
      bytes += held;
      // Checksums are small: copied, so the map never depends on the engine's memory.
      return { first: p.first, length, parts: p.parts, hashes: Buffer.concat(p.hashes) };
    });
    while (this.#buffered > 0 && this.#buffered + bytes > (this.options.bufferBytes ?? 64 << 20))
      await this.#settleOne();
    this.#check();
    this.#buffered += bytes;
    // The batch's data goes out only once its ranges are logged dirty; the engine goes on meanwhile.
    const sent = this.map
      .markDirty(ready.map((p) => [p.first, p.hashes.length / HASH_BYTES]))
      .then(() => Promise.all(ready.map((p) => this.#send(p))))
      .then(() => this.map.setHashes(ready.map((p) => ({ first: p.first, hashes: p.hashes }))))
      .catch((error: unknown) => {
        this.#failure ??= error;
      })
      .finally(() => {
        this.#buffered -= bytes;
        this.#inFlight.delete(sent);
      });
    this.#inFlight.add(sent);
    return { undoBytes: 0, released: sent };
  }

  /** Waits for every request, then returns the root of the map (the point's checksum of this disk). */
  async finish(): Promise<string> {
    while (this.#inFlight.size > 0) await Promise.race(this.#inFlight);
    this.#check();
    await this.map.logHashes();
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

  async #send(p: { first: number; length: number; parts: Buffer[] }): Promise<void> {
    await this.#slot();
    try {
      this.#check();
      const offset = p.first * this.blockSize;
      const { parts } = p;
      // Several runs of the engine's memory go out as one body without being joined (a retry
      // asks for the stream again).
      if (parts.length === 1) await this.blob.uploadPages(parts[0]!, offset, p.length);
      else if (parts.length > 1) await this.blob.uploadPages(() => Readable.from(parts), offset, p.length);
      else await this.blob.clearPages(offset, p.length);
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

interface Piece {
  first: number;
  count: number;
  zero: boolean;
  /** The piece's data as runs of the caller's memory (none for zeros). */
  parts: Buffer[];
  hashes: Buffer[];
}

/** Whether block `i`'s checksum is ZERO_ENTRY (all zero bytes), read in place: no slice per block. */
function isZeroEntry(hashes: Buffer, i: number): boolean {
  return isZeroRange(hashes, i * HASH_BYTES, (i + 1) * HASH_BYTES);
}

/** Adds `data` to a piece's runs, extending the last run where the memory continues it. */
function appendPart(parts: Buffer[], data: Buffer): void {
  const last = parts.at(-1);
  if (last && last.buffer === data.buffer && last.byteOffset + last.length === data.byteOffset)
    parts[parts.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + data.length);
  else parts.push(data);
}
