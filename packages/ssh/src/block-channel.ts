import { crc32, inflateSync } from 'node:zlib';
import { DrkitError, ownedBuffer } from '@drkit/core';
import type { RemoteProcess } from './ssh-session.js';

const OP_READ = 1;
const OP_HASH = 2;
const OP_DIFF = 3;
const OP_WRITE = 4;
/** Status of a diff whose older clone no longer exists. */
export const BASE_GONE = Symbol('base gone');

interface Pending {
  resolve: (data: Buffer | typeof BASE_GONE) => void;
  reject: (error: unknown) => void;
  what: string;
  length: number;
}

/**
 * The local half of the block helper: requests are pipelined on one exec channel and
 * answered in order, so a read-ahead of several chunks costs one round trip, not several.
 * Every payload is checked against the CRC-32 the host computed before it left.
 */
export class BlockChannel {
  private readonly pending: Pending[] = [];
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private failed: unknown;
  /** Bytes that arrived from the host, framing included. */
  bytesIn = 0;

  constructor(
    private readonly proc: RemoteProcess,
    private readonly label: string,
  ) {
    proc.stdout.on('data', (c: Buffer) => this.onData(c));
    proc.done.then(
      () => this.fail(new DrkitError('unreachable', `${label}: the block helper ended`)),
      (e: unknown) => this.fail(e),
    );
  }

  read(offset: number, length: number): Promise<Buffer> {
    return this.request(OP_READ, offset, length, 0, `read of ${length} bytes at ${offset}`);
  }

  hash(offset: number, length: number, blockSize: number): Promise<Buffer> {
    return this.request(OP_HASH, offset, length, blockSize, `hashes of ${length} bytes at ${offset}`);
  }

  /**
   * Writes `data` at `offset` (a helper opened for writing): the CRC-32 of the data travels in
   * the block-size field and the host checks it before a byte lands.
   */
  async write(offset: number, data: Buffer): Promise<void> {
    await this.request(
      OP_WRITE,
      offset,
      data.length,
      crc32(data) >>> 0,
      `write of ${data.length} bytes at ${offset}`,
      data,
    );
  }

  /** Changed ranges since the clone at `basePath`, as "offset length" lines, or BASE_GONE. */
  async diff(basePath: string): Promise<string | typeof BASE_GONE> {
    const path = Buffer.from(basePath, 'utf8');
    const answer = await this.request(OP_DIFF, 0, path.length, 0, `extent diff against ${basePath}`, path);
    return answer === BASE_GONE ? BASE_GONE : answer.toString('utf8');
  }

  close(): void {
    this.proc.stdin.end();
  }

  private request(op: number, offset: number, length: number, blockSize: number, what: string): Promise<Buffer>;
  private request(
    op: number,
    offset: number,
    length: number,
    blockSize: number,
    what: string,
    body: Buffer,
  ): Promise<Buffer | typeof BASE_GONE>;
  private request(
    op: number,
    offset: number,
    length: number,
    blockSize: number,
    what: string,
    body?: Buffer,
  ): Promise<Buffer | typeof BASE_GONE> {
    if (this.failed) return Promise.reject(this.failed);
    const hdr = Buffer.allocUnsafe(17);
    hdr.writeUInt8(op, 0);
    hdr.writeBigUInt64BE(BigInt(offset), 1);
    hdr.writeUInt32BE(length, 9);
    hdr.writeUInt32BE(blockSize, 13);
    return new Promise<Buffer | typeof BASE_GONE>((resolve, reject) => {
      this.pending.push({ resolve, reject, what, length });
      this.proc.stdin.write(body ? Buffer.concat([hdr, body]) : hdr);
    });
  }

  private onData(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    for (;;) {
      if (this.bufferedBytes < 9) return;
      const head = this.peek(9);
      const status = head.readUInt8(0);
      const len = head.readUInt32BE(1);
      const crc = head.readUInt32BE(5);
      if (this.bufferedBytes < 9 + len) return;
      const frame = this.take(9 + len).subarray(9);
      const p = this.pending.shift();
      if (!p) {
        this.fail(new DrkitError('protocol', `${this.label}: the block helper sent an answer nobody asked for`));
        return;
      }
      try {
        if (status === 2) throw new DrkitError('platform', `${this.label}: ${frame.toString('utf8')}`);
        if (status === 3) {
          p.resolve(ownedBuffer(p.length).fill(0));
          continue;
        }
        if (status === 4) {
          p.resolve(BASE_GONE);
          continue;
        }
        const data = status === 1 ? inflateSync(frame) : frame;
        if (crc32(data) >>> 0 !== crc)
          throw new DrkitError('integrity', `${this.label}: the ${p.what} arrived damaged (CRC-32 mismatch)`);
        // A copy that owns its memory can move to a hashing thread; a slice of the stream cannot.
        const owned = ownedBuffer(data.length);
        data.copy(owned);
        p.resolve(owned);
      } catch (e) {
        p.reject(e);
      }
    }
  }

  private peek(n: number): Buffer {
    if (this.buffered[0]!.length < n) this.buffered = [Buffer.concat(this.buffered)];
    return this.buffered[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.buffered = rest.length ? [rest] : [];
    this.bufferedBytes -= n;
    return out;
  }

  private fail(error: unknown): void {
    this.failed ??= error;
    for (const p of this.pending.splice(0)) p.reject(this.failed);
  }
}
