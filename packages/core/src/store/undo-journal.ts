import { open, type FileHandle } from 'node:fs/promises';
import { DrkitError } from '@drkit/spec';
import { HASH_BYTES } from './block-hash.js';
import { writeFully } from './store-io.js';

/**
 * An undo journal: the replica blocks a run overwrote, so the point before it can be
 * rebuilt. Fixed-size records — offset (8), old checksum (32), old data (block size) —
 * after a 32-byte header holding the disk's size before the run. A torn last record is
 * ignored: it is only written (and fsynced) before its replica write begins.
 */
const MAGIC = Buffer.from('DRKUNDO1');
const HEADER = 32;

export interface UndoRecord {
  offset: number;
  hash: Buffer;
  data: Buffer;
}

export class UndoJournalWriter {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  private constructor(
    private readonly file: FileHandle,
    readonly blockSize: number,
    private position: number,
    private readonly path: string,
  ) {}

  /** Opens for append; creates with the header when new (`oldSize`: the disk size before the run). */
  static async open(path: string, blockSize: number, oldSize: number): Promise<UndoJournalWriter> {
    const file = await open(path, 'a+');
    const { size } = await file.stat();
    if (size < HEADER) {
      const header = Buffer.alloc(HEADER);
      MAGIC.copy(header, 0);
      header.writeUInt32LE(blockSize, 8);
      header.writeBigUInt64LE(BigInt(oldSize), 16);
      await file.truncate(0);
      await writeFully(file, header, 0, path);
      return new UndoJournalWriter(file, blockSize, HEADER, path);
    }
    const record = 8 + HASH_BYTES + blockSize;
    // Drop a torn record from an interrupted append.
    const whole = HEADER + Math.floor((size - HEADER) / record) * record;
    if (whole !== size) await file.truncate(whole);
    return new UndoJournalWriter(file, blockSize, whole, path);
  }

  append(offset: number, hash: Buffer, data: Buffer): void {
    const head = Buffer.allocUnsafe(8);
    head.writeBigUInt64LE(BigInt(offset));
    const block =
      data.length === this.blockSize ? data : Buffer.concat([data, Buffer.alloc(this.blockSize - data.length)]);
    this.#pending.push(head, hash, block);
    this.#pendingBytes += 8 + HASH_BYTES + this.blockSize;
  }

  /**
   * Writes what was appended and fsyncs: call before touching the replica, and touch it
   * only if this resolves. A failed or short write throws with the records dropped; the
   * position stays where the last whole flush ended (a reopen cuts any torn tail).
   */
  async flush(): Promise<number> {
    if (this.#pendingBytes === 0) return 0;
    const buf = Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    await writeFully(this.file, buf, this.position, this.path);
    await this.file.sync();
    this.position += buf.length;
    return buf.length;
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.file.close();
    }
  }
}

export interface UndoJournal {
  blockSize: number;
  oldSize: number;
  records: number;
  /** Records newest first: the order that rebuilds the state before the run. */
  reverse(): AsyncGenerator<UndoRecord>;
}

/** Reads a journal's header; `blockSize`, when given, is the one the journal must have. */
export async function readUndoJournal(path: string, blockSize?: number): Promise<UndoJournal> {
  const file = await open(path, 'r');
  const header = Buffer.alloc(HEADER);
  let size: number;
  try {
    await file.read(header, 0, HEADER, 0);
    size = (await file.stat()).size;
  } finally {
    await file.close();
  }
  // A damaged header is damage to the points that need this journal, not a protocol fault.
  const damaged = (why: string) => new DrkitError('integrity', `${path}: damaged undo journal (${why})`);
  if (!header.subarray(0, 8).equals(MAGIC)) throw damaged('no journal header');
  const ownBlockSize = header.readUInt32LE(8);
  if (blockSize !== undefined && ownBlockSize !== blockSize)
    throw damaged(`block size ${ownBlockSize}, the disk's is ${blockSize}`);
  if (ownBlockSize < 512 || ownBlockSize > 1 << 24 || ownBlockSize % 512 !== 0)
    throw damaged(`block size ${ownBlockSize}`);
  const oldSizeBig = header.readBigUInt64LE(16);
  if (oldSizeBig > BigInt(Number.MAX_SAFE_INTEGER)) throw damaged('disk size out of range');
  const oldSize = Number(oldSizeBig);
  const recordSize = 8 + HASH_BYTES + ownBlockSize;
  const records = Math.max(0, Math.floor((size - HEADER) / recordSize));
  return {
    blockSize: ownBlockSize,
    oldSize,
    records,
    async *reverse() {
      const f = await open(path, 'r');
      try {
        const batch = 256;
        for (let end = records; end > 0; end -= batch) {
          const start = Math.max(0, end - batch);
          const buf = Buffer.alloc((end - start) * recordSize);
          await f.read(buf, 0, buf.length, HEADER + start * recordSize);
          for (let i = end - start - 1; i >= 0; i--) {
            const r = buf.subarray(i * recordSize, (i + 1) * recordSize);
            yield {
              offset: Number(r.readBigUInt64LE(0)),
              hash: r.subarray(8, 8 + HASH_BYTES),
              data: r.subarray(8 + HASH_BYTES),
            };
          }
        }
      } finally {
        await f.close();
      }
    },
  };
}
