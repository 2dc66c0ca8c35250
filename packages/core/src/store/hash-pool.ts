import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { blockCrcs, blockHashes } from './block-hash.js';
import { crcFile, HASH_WORKER_ROLE } from './hash-worker.js';

/**
 * The worker is a built module (hash-worker.ts → dist/store/hash-worker.js). Run from the
 * sources (tests, tsx), the built copy beside them in dist/ is used; with none there, the
 * pool hashes on the calling thread.
 */
function workerUrl(): URL | undefined {
  const here = import.meta.url;
  const url = here.endsWith('.ts')
    ? new URL('../../dist/store/hash-worker.js', here)
    : new URL('./hash-worker.js', here);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

/**
 * Block hashing on worker threads, so checksums use every core while the main thread does
 * I/O. Buffers are transferred, not copied, both ways; the results follow blockHashes'
 * convention: SHA-256 per block, 32 zero bytes for an all-zero block.
 */
interface Job {
  resolve: (r: { data: Buffer; hashes: Buffer }) => void;
  reject: (e: unknown) => void;
}

export class HashPool {
  #workers: Worker[] = [];
  #jobs = new Map<number, Job>();
  #next = 0;
  #turn = 0;

  constructor(size = Math.min(4, availableParallelism())) {
    const url = workerUrl();
    for (let i = 0; url && i < size; i++) {
      const w = new Worker(url, { workerData: { role: HASH_WORKER_ROLE } });
      w.on(
        'message',
        ({
          id,
          buffer,
          hashes,
          error,
        }: {
          id: number;
          buffer?: ArrayBuffer;
          hashes: ArrayBuffer;
          error?: { message: string; code?: string };
        }) => {
          const job = this.#jobs.get(id)!;
          this.#jobs.delete(id);
          if (this.#jobs.size === 0) this.#idle();
          if (error) job.reject(Object.assign(new Error(error.message), error.code && { code: error.code }));
          else job.resolve({ data: buffer ? Buffer.from(buffer) : Buffer.alloc(0), hashes: Buffer.from(hashes) });
        },
      );
      w.on('error', (e) => {
        for (const job of this.#jobs.values()) job.reject(e);
        this.#jobs.clear();
      });
      this.#workers.push(w);
    }
    this.#idle();
  }

  /**
   * Workers keep the process alive only while a job is in flight: an idle pool must not
   * hold a CLI open, and a busy one must not let it exit. (Unref after the listeners:
   * attaching a 'message' listener refs a worker again.)
   */
  #idle(): void {
    for (const w of this.#workers) w.unref();
  }

  #busy(): void {
    for (const w of this.#workers) w.ref();
  }

  /**
   * Hashes `data` (which must own its whole ArrayBuffer: it is transferred away and handed
   * back as a new Buffer over the same memory).
   */
  hash(data: Buffer, blockSize: number): Promise<{ data: Buffer; hashes: Buffer }> {
    if (isShared(data) && this.#workers.length > 0) return this.#shared(data, blockSize, 'sha256');
    if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength || this.#workers.length === 0) {
      return Promise.resolve({ data, hashes: blockHashes(data, blockSize) });
    }
    return this.#post({ buffer: data.buffer, length: data.length, blockSize, op: 'sha256' }, [
      data.buffer as ArrayBuffer,
    ]);
  }

  /** Per-block CRC-32s (blockCrc's convention) of `data`, which moves to a worker and back as hash() does. */
  crc(data: Buffer, blockSize: number): Promise<{ data: Buffer; crcs: Buffer }> {
    if (isShared(data) && this.#workers.length > 0)
      return this.#shared(data, blockSize, 'crc32').then(({ hashes }) => ({ data, crcs: hashes }));
    if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength || this.#workers.length === 0)
      return Promise.resolve({ data, crcs: blockCrcs(data, blockSize) });
    return this.#post({ buffer: data.buffer, length: data.length, blockSize, op: 'crc32' }, [
      data.buffer as ArrayBuffer,
    ]).then(({ data, hashes }) => ({ data, crcs: hashes }));
  }

  /**
   * Per-block CRC-32s of a range of an open file, read on the worker itself (`fd` must stay
   * open until this settles); past the file's end the blocks read as zeros. Restore and verify
   * check every block this way: the data never crosses threads.
   */
  async crcFile(fd: number, fileSize: number, offset: number, length: number, blockSize: number): Promise<Buffer> {
    if (this.#workers.length === 0) return crcFile(fd, fileSize, offset, length, blockSize);
    return (await this.#post({ fd, fileSize, offset, length, blockSize, op: 'crcFile' })).hashes;
  }

  /**
   * Memory shared with the threads (a SharedArrayBuffer) is not moved: the thread reads it in
   * place and only the checksums come back, so the caller's Buffer stays the one it recycles.
   */
  async #shared(data: Buffer, blockSize: number, op: 'sha256' | 'crc32'): Promise<{ data: Buffer; hashes: Buffer }> {
    const { hashes } = await this.#post({
      buffer: data.buffer,
      byteOffset: data.byteOffset,
      length: data.length,
      blockSize,
      op,
    });
    return { data, hashes };
  }

  #post(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<{ data: Buffer; hashes: Buffer }> {
    const id = this.#next++;
    const worker = this.#workers[this.#turn++ % this.#workers.length]!;
    return new Promise((resolve, reject) => {
      if (this.#jobs.size === 0) this.#busy();
      this.#jobs.set(id, { resolve, reject });
      worker.postMessage({ id, ...message }, transfer);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
    this.#workers = [];
  }
}

let shared: HashPool | undefined;

/** One pool per process, made on first use; its threads do not keep the process alive. */
export function sharedHashPool(): HashPool {
  shared ??= new HashPool();
  return shared;
}

/**
 * A buffer that owns its ArrayBuffer, so it can be transferred to a worker. Not zeroed:
 * callers fill all of it (readAt zero-fills what lies past the end of a file).
 */
export function ownedBuffer(length: number): Buffer {
  return Buffer.allocUnsafeSlow(length);
}

function isShared(data: Buffer): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && data.buffer instanceof SharedArrayBuffer;
}
