import { randomUUID } from 'node:crypto';

/** Size of the footer that ends every VHD (and that a fixed VHD adds to the raw disk). */
export const VHD_FOOTER_BYTES = 512;

/** Seconds from the Unix epoch to the VHD epoch, 2000-01-01 00:00:00 UTC. */
const VHD_EPOCH_SECONDS = 946_684_800;

export interface VhdFooterOptions {
  /** The disk's size in bytes (a multiple of 512): the footer's original and current size. */
  sizeBytes: number;
  /** Default: a random id (a VHD's unique id identifies the disk, not its content). */
  uniqueId?: Buffer;
  /** Default: now. */
  createdAt?: Date;
}

/**
 * The 512-byte footer of a fixed VHD (Virtual Hard Disk Image Format Specification, v1.0,
 * "Hard Disk Footer Format"); the disk is its raw image followed by this footer.
 *
 * Creator application `win ` and host `Wi2k`, as Hyper-V writes them: readers use the
 * footer's current size only for creators they know write it exactly (qemu's vpc driver
 * otherwise sizes the disk from the CHS geometry, which rounds most sizes down).
 */
export function vhdFooter(options: VhdFooterOptions): Buffer {
  const { sizeBytes } = options;
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0 || sizeBytes % 512 !== 0)
    throw new RangeError(`a VHD's size must be a positive multiple of 512 bytes, not ${sizeBytes}`);
  const f = Buffer.alloc(VHD_FOOTER_BYTES);
  f.write('conectix', 0, 'ascii');
  f.writeUInt32BE(0x00000002, 8); // features: the reserved bit, always set
  f.writeUInt32BE(0x00010000, 12); // file format version 1.0
  f.writeBigUInt64BE(0xffffffffffffffffn, 16); // data offset: none for a fixed disk
  const seconds = Math.floor((options.createdAt ?? new Date()).getTime() / 1000) - VHD_EPOCH_SECONDS;
  f.writeUInt32BE(Math.max(0, seconds) >>> 0, 24);
  f.write('win ', 28, 'ascii');
  f.writeUInt32BE(0x000a0000, 32); // creator version, as Hyper-V's
  f.write('Wi2k', 36, 'ascii');
  f.writeBigUInt64BE(BigInt(sizeBytes), 40); // original size
  f.writeBigUInt64BE(BigInt(sizeBytes), 48); // current size
  const g = vhdGeometry(sizeBytes);
  f.writeUInt16BE(g.cylinders, 56);
  f.writeUInt8(g.heads, 58);
  f.writeUInt8(g.sectorsPerTrack, 59);
  f.writeUInt32BE(2, 60); // disk type: fixed
  (options.uniqueId ?? Buffer.from(randomUUID().replaceAll('-', ''), 'hex')).copy(f, 68, 0, 16);
  f.writeUInt32BE(vhdChecksum(f), 64);
  return f;
}

/** The one's complement of the sum of every footer byte, the checksum field counted as zero. */
export function vhdChecksum(footer: Buffer): number {
  let sum = 0;
  for (let i = 0; i < VHD_FOOTER_BYTES; i++) if (i < 64 || i >= 68) sum += footer[i]!;
  return ~sum >>> 0;
}

export interface VhdGeometry {
  cylinders: number;
  heads: number;
  sectorsPerTrack: number;
}

/** CHS geometry by the specification's algorithm (Appendix: CHS calculation). */
export function vhdGeometry(sizeBytes: number): VhdGeometry {
  let totalSectors = Math.floor(sizeBytes / 512);
  if (totalSectors > 65535 * 16 * 255) totalSectors = 65535 * 16 * 255;
  let sectorsPerTrack: number;
  let heads: number;
  let cylinderTimesHeads: number;
  if (totalSectors >= 65535 * 16 * 63) {
    sectorsPerTrack = 255;
    heads = 16;
    cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
  } else {
    sectorsPerTrack = 17;
    cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
    heads = Math.max(4, Math.floor((cylinderTimesHeads + 1023) / 1024));
    if (cylinderTimesHeads >= heads * 1024 || heads > 16) {
      sectorsPerTrack = 31;
      heads = 16;
      cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
    }
    if (cylinderTimesHeads >= heads * 1024) {
      sectorsPerTrack = 63;
      heads = 16;
      cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
    }
  }
  return { cylinders: Math.floor(cylinderTimesHeads / heads), heads, sectorsPerTrack };
}

/** Azure takes a fixed VHD whose virtual size is a whole number of MiB. */
export function roundUpToMiB(bytes: number): number {
  return Math.ceil(bytes / 2 ** 20) * 2 ** 20;
}
