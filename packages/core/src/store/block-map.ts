import { open, type FileHandle } from 'node:fs/promises';
import { createHash, type Hash } from 'node:crypto';
import { HASH_BYTES } from './block-hash.js';
import { writeFully } from './store-io.js';

/**
 * The per-block checksum map of a replica: entry i is the SHA-256 of block i (or zeros for
 * a zero block), stored at i × 32 in a sparse file, read and written by position — so its
 * memory cost does not grow with the disk.
 */
export class BlockMap {
  private constructor(
    private readonly file: FileHandle,
    public blocks: number,
    readonly entryBytes: number,
    private readonly path: string,
  ) {}

  /** `entryBytes`: 32 for the SHA-256 map, 4 for the CRC map. */
  static async open(path: string, blocks: number, entryBytes = HASH_BYTES): Promise<BlockMap> {
    const file = await open(path, 'a+').then(async (f) => {
      await f.close();
      return open(path, 'r+');
    });
    const map = new BlockMap(file, blocks, entryBytes, path);
    await map.resize(blocks);
    return map;
  }

  async resize(blocks: number): Promise<void> {
    this.blocks = blocks;
    await this.file.truncate(blocks * this.entryBytes);
  }

  async read(first: number, count: number): Promise<Buffer> {
    const out = Buffer.alloc(count * this.entryBytes);
    await this.file.read(out, 0, out.length, first * this.entryBytes);
    return out;
  }

  async write(first: number, entries: Buffer): Promise<void> {
    await writeFully(this.file, entries, first * this.entryBytes, this.path);
  }

  /** A root over every entry and the disk size: one value that pins the whole disk (SHA-256 map). */
  root(sizeBytes: number): Promise<string> {
    return mapRoot(this.file, this.blocks, sizeBytes);
  }

  async sync(): Promise<void> {
    await this.file.sync();
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}

/** The root of a SHA-256 map file over `blocks` entries, read only (a short file gives another root). */
export async function mapRoot(file: FileHandle, blocks: number, sizeBytes: number): Promise<string> {
  const digest = mapRootDigest(sizeBytes);
  const chunk = Buffer.alloc(1 << 20);
  const total = blocks * HASH_BYTES;
  for (let pos = 0; pos < total; pos += chunk.length) {
    const { bytesRead } = await file.read(chunk, 0, Math.min(chunk.length, total - pos), pos);
    digest.update(chunk.subarray(0, bytesRead));
    if (bytesRead === 0) break;
  }
  return digest.digest('hex');
}

/** The root's hash, before the map's entries are fed to it in order: any store computes roots this way. */
export function mapRootDigest(sizeBytes: number): Hash {
  return createHash('sha256').update(`drkit-map-v1:${sizeBytes}:`);
}
