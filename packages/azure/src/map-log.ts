import { DrkitError } from '@drkit/core';

/**
 * Records of a replica's checksum-map log (append blobs, see replica-map.ts), little-endian:
 * - dirty  `01 first:u48 count:u32` — these blocks are about to be written: until a set
 *   record follows, the replica's content there is unknown;
 * - set    `02 first:u48 count:u32 hashes:count×32` — the blocks landed with these checksums;
 * - commit `03 seq:u48` — a point was committed: the blocks touched before it are its content.
 * An append is atomic, and records never straddle two appends.
 */
export type MapRecord =
  | { kind: 'dirty'; first: number; count: number }
  | { kind: 'set'; first: number; hashes: Buffer }
  | { kind: 'commit'; seq: number };

const DIRTY = 1;
const SET = 2;
const COMMIT = 3;

export function encodeRecord(r: MapRecord): Buffer {
  if (r.kind === 'commit') {
    const b = Buffer.alloc(7);
    b[0] = COMMIT;
    b.writeUIntLE(r.seq, 1, 6);
    return b;
  }
  const count = r.kind === 'dirty' ? r.count : r.hashes.length / 32;
  const b = Buffer.alloc(11 + (r.kind === 'set' ? r.hashes.length : 0));
  b[0] = r.kind === 'dirty' ? DIRTY : SET;
  b.writeUIntLE(r.first, 1, 6);
  b.writeUInt32LE(count, 7);
  if (r.kind === 'set') r.hashes.copy(b, 11);
  return b;
}

export function* decodeRecords(log: Buffer, name: string): Generator<MapRecord> {
  let at = 0;
  const damaged = () => new DrkitError('integrity', `${name} is damaged at byte ${at}: not a map record`);
  while (at < log.length) {
    const type = log[at]!;
    if (type === COMMIT) {
      if (at + 7 > log.length) throw damaged();
      yield { kind: 'commit', seq: log.readUIntLE(at + 1, 6) };
      at += 7;
      continue;
    }
    if ((type !== DIRTY && type !== SET) || at + 11 > log.length) throw damaged();
    const first = log.readUIntLE(at + 1, 6);
    const count = log.readUInt32LE(at + 7);
    if (type === DIRTY) {
      yield { kind: 'dirty', first, count };
      at += 11;
      continue;
    }
    const end = at + 11 + count * 32;
    if (end > log.length) throw damaged();
    yield { kind: 'set', first, hashes: log.subarray(at + 11, end) };
    at = end;
  }
}

/** Packs records into appends of at most `limit` bytes, never splitting one. */
export function packRecords(records: MapRecord[], limit: number): Buffer[] {
  const out: Buffer[] = [];
  let part: Buffer[] = [];
  let size = 0;
  const push = (b: Buffer) => {
    if (size + b.length > limit && part.length > 0) {
      out.push(Buffer.concat(part));
      part = [];
      size = 0;
    }
    part.push(b);
    size += b.length;
  };
  for (const r of records) {
    // A set record larger than an append is cut into several (each block's hash stays whole).
    if (r.kind === 'set' && 11 + r.hashes.length > limit) {
      const per = Math.floor((limit - 11) / 32);
      for (let i = 0; i < r.hashes.length / 32; i += per)
        push(encodeRecord({ kind: 'set', first: r.first + i, hashes: r.hashes.subarray(i * 32, (i + per) * 32) }));
    } else push(encodeRecord(r));
  }
  if (part.length > 0) out.push(Buffer.concat(part));
  return out;
}
