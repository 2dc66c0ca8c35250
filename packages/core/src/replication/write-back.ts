import { DrkitError, throwIfAborted, type ProgressListener } from '@drkit/spec';
import { blockHashes, DEFAULT_BLOCK_SIZE, differingRuns } from '../store/block-hash.js';

/** A disk that can be written where it lives, and hashed there (a failback's original disk). */
export interface WritableDisk {
  sizeBytes: number;
  /** SHA-256 of each block as the disk holds it, 32 zero bytes for an all-zero block. */
  hashBlocks(offset: number, length: number, blockSize: number): Promise<Buffer>;
  write(offset: number, data: Buffer): Promise<void>;
}

export interface WriteBackCounts {
  bytesCompared: number;
  bytesWritten: number;
}

/** Chunks compared at once: their hashes and writes share the helper's pipeline. */
const IN_FLIGHT = 4;

/**
 * Writes `source` (a point's disk, from offset 0, in whole blocks but for the last) into a
 * disk that already holds an older copy of it: the disk's blocks are hashed where it lives,
 * compared with the point's, and only the blocks that differ are sent — a failback after a
 * few changes moves those changes, not the disk.
 */
export async function writeBack(
  source: AsyncIterable<Uint8Array>,
  sizeBytes: number,
  target: WritableDisk,
  options: { blockSize?: number; signal?: AbortSignal; onProgress?: ProgressListener } = {},
): Promise<WriteBackCounts> {
  const bs = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (target.sizeBytes !== sizeBytes)
    throw new DrkitError(
      'bad-input',
      `the disk written back is ${target.sizeBytes} bytes and the point's ${sizeBytes}: a failback needs the same size`,
    );
  const result: WriteBackCounts = { bytesCompared: 0, bytesWritten: 0 };
  const compare = async (offset: number, data: Buffer) => {
    const [there, here] = await Promise.all([target.hashBlocks(offset, data.length, bs), blockHashes(data, bs)]);
    const writes = differingRuns(there, here, Math.ceil(data.length / bs)).map(([i, end]) => {
      const run = data.subarray(i * bs, Math.min(data.length, end * bs));
      result.bytesWritten += run.length;
      return target.write(offset + i * bs, run);
    });
    await Promise.all(writes);
    result.bytesCompared += data.length;
    options.onProgress?.({
      kind: 'bytes',
      read: result.bytesCompared,
      sent: result.bytesWritten,
      skipped: result.bytesCompared - result.bytesWritten,
      total: sizeBytes,
    });
  };
  const inFlight: Array<Promise<void>> = [];
  let offset = 0;
  for await (const chunk of source) {
    throwIfAborted(options.signal);
    const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (offset % bs !== 0) throw new DrkitError('protocol', `a point chunk ended mid-block at ${offset}`);
    const p = compare(offset, data);
    p.catch(() => {});
    inFlight.push(p);
    offset += data.length;
    if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
  }
  await Promise.all(inFlight);
  if (offset !== sizeBytes)
    throw new DrkitError('protocol', `the point's disk gave ${offset} of its ${sizeBytes} bytes`);
  return result;
}
