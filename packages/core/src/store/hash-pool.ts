import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { blockCrcs, blockHashes } from './block-hash.js';
import { FAST_CRC32_PATH } from './fast-crc32.js';

/**
 * Block hashing on worker threads, so checksums use every core while the main thread does
 * I/O. Buffers are transferred, not copied, both ways. The worker is plain JavaScript
 * (evaluated), so it needs no TypeScript loader; it follows blockHashes' convention:
 * SHA-256 per block, 32 zero bytes for an all-zero block.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { hash } = require('node:crypto');
const { crc32 } = workerData.crcPath ? require(workerData.crcPath) : require('node:zlib');
const ZERO = Buffer.alloc(65536);
const zeroCrcs = new Map();
parentPort.on('message', ({ id, buffer, length, blockSize, op }) => {
  const data = Buffer.from(buffer, 0, length);
  const count = Math.ceil(length / blockSize);
  const size = op === 'crc' ? 4 : 32;
  const out = Buffer.alloc(count * size);
  for (let i = 0; i < count; i++) {
    const block = data.subarray(i * blockSize, Math.min(length, (i + 1) * blockSize));
    if (op === 'crc') {
      // One pass over the data: only a block with the zero block's CRC is scanned for zeros.
      const c = crc32(block);
      let z = zeroCrcs.get(block.length);
      if (z === undefined) zeroCrcs.set(block.length, (z = crc32(ZERO.subarray(0, block.length))));
      if (c !== z || !block.equals(ZERO.subarray(0, block.length))) out.writeUInt32LE(c || 1, i * 4);
      continue;
    }
    if (block.equals(ZERO.subarray(0, block.length))) continue;
    hash('sha256', block, 'buffer').copy(out, i * 32);
  }
  parentPort.postMessage({ id, buffer, hashes: out.buffer }, [buffer, out.buffer]);
});
`;

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
    for (let i = 0; i < size; i++) {
      const w = new Worker(WORKER, { eval: true, workerData: { crcPath: FAST_CRC32_PATH } });
      w.on('message', ({ id, buffer, hashes }: { id: number; buffer: ArrayBuffer; hashes: ArrayBuffer }) => {
        const job = this.#jobs.get(id)!;
        this.#jobs.delete(id);
        if (this.#jobs.size === 0) this.#idle();
        job.resolve({ data: Buffer.from(buffer), hashes: Buffer.from(hashes) });
      });
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
    return this.#run(data, blockSize, 'sha256');
  }

  /** Per-block CRC-32s (blockCrc's convention), 4 bytes each: for fast read-back checks. */
  crc(data: Buffer, blockSize: number): Promise<{ data: Buffer; hashes: Buffer }> {
    return this.#run(data, blockSize, 'crc');
  }

  #run(data: Buffer, blockSize: number, op: 'sha256' | 'crc'): Promise<{ data: Buffer; hashes: Buffer }> {
    if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength || this.#workers.length === 0) {
      return Promise.resolve({ data, hashes: op === 'crc' ? blockCrcs(data, blockSize) : blockHashes(data, blockSize) });
    }
    const id = this.#next++;
    const worker = this.#workers[this.#turn++ % this.#workers.length]!;
    return new Promise((resolve, reject) => {
      if (this.#jobs.size === 0) this.#busy();
      this.#jobs.set(id, { resolve, reject });
      worker.postMessage({ id, buffer: data.buffer, length: data.length, blockSize, op }, [data.buffer as ArrayBuffer]);
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
