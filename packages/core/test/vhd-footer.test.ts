import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VHD_FOOTER_BYTES, vhdChecksum, vhdFooter, vhdGeometry } from '../src/disk-format/vhd-footer.js';
import { hasQemuImg } from '../../../test/harness/qemu-img.js';

describe('the fixed VHD footer, field by field against the VHD specification', () => {
  const size = 10 * 2 ** 20;
  const at = new Date('2026-12-02T00:00:00Z');
  const id = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const f = vhdFooter({ sizeBytes: size, createdAt: at, uniqueId: id });

  it('is 512 bytes, big-endian, with every field where the specification puts it', () => {
    expect(f.length).toBe(VHD_FOOTER_BYTES);
    expect(f.subarray(0, 8).toString('ascii')).toBe('conectix');
    expect(f.readUInt32BE(8)).toBe(2); // features: reserved bit
    expect(f.readUInt32BE(12)).toBe(0x00010000); // version 1.0
    expect(f.readBigUInt64BE(16)).toBe(0xffffffffffffffffn); // fixed: no data offset
    expect(f.readUInt32BE(24)).toBe(Date.parse('2026-12-02T00:00:00Z') / 1000 - 946_684_800);
    expect(f.subarray(28, 32).toString('ascii')).toBe('win ');
    expect(f.subarray(36, 40).toString('ascii')).toBe('Wi2k');
    expect(f.readBigUInt64BE(40)).toBe(BigInt(size));
    expect(f.readBigUInt64BE(48)).toBe(BigInt(size));
    expect(f.readUInt32BE(60)).toBe(2); // disk type fixed
    expect(f.subarray(68, 84).equals(id)).toBe(true);
    expect(f[84]).toBe(0); // saved state
    expect(f.subarray(85).every((b) => b === 0)).toBe(true);
  });

  it('carries the checksum: one’s complement of the byte sum without the checksum field', () => {
    let sum = 0;
    for (let i = 0; i < 512; i++) if (i < 64 || i > 67) sum += f[i]!;
    expect(f.readUInt32BE(64)).toBe(~sum >>> 0);
    const broken = Buffer.from(f);
    broken[100] = 1;
    expect(vhdChecksum(broken)).not.toBe(f.readUInt32BE(64));
  });

  it('computes CHS geometry by the specification’s algorithm', () => {
    // 10 MiB = 20480 sectors: 17 sectors/track, 4 heads, 301 cylinders.
    expect(vhdGeometry(size)).toEqual({ cylinders: 301, heads: 4, sectorsPerTrack: 17 });
    expect([f.readUInt16BE(56), f[58], f[59]]).toEqual([301, 4, 17]);
    // 127 GiB and beyond: 255 sectors/track, 16 heads, cylinders capped at 65535.
    expect(vhdGeometry(127 * 2 ** 30)).toEqual({ cylinders: 65278, heads: 16, sectorsPerTrack: 255 });
    expect(vhdGeometry(2 ** 40)).toEqual({ cylinders: 65535, heads: 16, sectorsPerTrack: 255 });
    // 1 GiB: the 63-sector rung.
    expect(vhdGeometry(2 ** 30)).toEqual({ cylinders: 2080, heads: 16, sectorsPerTrack: 63 });
  });

  it('refuses a size that is not a positive multiple of 512', () => {
    expect(() => vhdFooter({ sizeBytes: 1000 })).toThrow(/multiple of 512/);
    expect(() => vhdFooter({ sizeBytes: 0 })).toThrow(/multiple of 512/);
  });

  it.skipIf(!hasQemuImg)('makes a file qemu-img reads as a fixed VHD equal to the raw image', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drkit-vhd-'));
    try {
      const raw = Buffer.alloc(3 * 2 ** 20 + 512 * 7);
      for (let i = 0; i < raw.length; i += 4096) raw.writeUInt32LE((i * 2654435761) >>> 0, i);
      writeFileSync(join(dir, 'disk.img'), raw);
      writeFileSync(join(dir, 'disk.vhd'), raw);
      appendFileSync(join(dir, 'disk.vhd'), vhdFooter({ sizeBytes: raw.length }));
      // A fixed VHD has its footer only at the end, so qemu probes it as raw: name the format.
      const info = JSON.parse(
        execFileSync('qemu-img', ['info', '-f', 'vpc', '--output=json', join(dir, 'disk.vhd')], { encoding: 'utf8' }),
      );
      expect(info.format).toBe('vpc');
      expect(info['virtual-size']).toBe(raw.length);
      execFileSync('qemu-img', ['compare', '-f', 'vpc', '-F', 'raw', join(dir, 'disk.vhd'), join(dir, 'disk.img')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
