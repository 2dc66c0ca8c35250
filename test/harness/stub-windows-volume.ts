import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALLOCATION_GRANULARITY as G } from '@drkit/core';
import type { PwshStubHost } from './pwsh-stub-host.js';

const CLUSTER = 4096;

/** A lettered volume of the stub host: its bytes, and the cluster bitmap NTFS would keep for it. */
export function stubVolume(host: PwshStubHost, letter: string) {
  const image = join(host.disksDir, `${letter}.raw`);
  if (!existsSync(image)) throw new Error(`the stub has no volume ${letter}:`);
  const data = readFileSync(image);
  const clusters = Number(readFileSync(`${image}.bitmap`).readBigInt64LE(0));
  let runs: Array<[number, number]> = [];
  const save = () => writeFileSync(image, data);
  return {
    size: data.length,
    fill(byte: number, from: number, to: number) {
      data.fill(byte, from, to);
      save();
    },
    write(at: number, bytes: Buffer) {
      bytes.copy(data, at);
      save();
    },
    use(next: Array<[number, number]>) {
      runs = next;
      const bitmap = Buffer.alloc(8 + Math.ceil(clusters / 8));
      bitmap.writeBigInt64LE(BigInt(clusters), 0);
      for (const [first, count] of runs)
        for (let c = first; c < first + count; c++) bitmap[8 + (c >> 3)]! |= 1 << (c & 7);
      writeFileSync(`${image}.bitmap`, bitmap);
    },
    /** What a point must hold: used clusters (rounded out to 64 KiB) and the tail, free space zero. */
    asPointSees(): Buffer {
      const out = Buffer.alloc(data.length);
      const keep = (from: number, to: number) => data.copy(out, from, from, Math.min(to, data.length));
      for (const [first, count] of runs) {
        const from = Math.floor((first * CLUSTER) / G) * G;
        keep(from, Math.ceil(((first + count) * CLUSTER) / G) * G);
      }
      keep(Math.floor((clusters * CLUSTER) / G) * G, data.length);
      return out;
    },
  };
}
