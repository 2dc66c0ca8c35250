import { describe, expect, it } from 'vitest';
import { normalizeWwn } from './wwn.js';

describe('normalizeWwn', () => {
  it('spells lsblk, ESXi and bare forms of one NAA id the same way', () => {
    const id = 'naa.624a9370c3f1a2b4e5d6a7b800011234';
    expect(normalizeWwn('0x624a9370c3f1a2b4e5d6a7b800011234')).toBe(id);
    expect(normalizeWwn('naa.624A9370C3F1A2B4E5D6A7B800011234')).toBe(id);
    expect(normalizeWwn('624a9370c3f1a2b4e5d6a7b800011234')).toBe(id);
    expect(normalizeWwn('0x5002538e40a1b2c3')).toBe('naa.5002538e40a1b2c3');
    expect(normalizeWwn('eui.0025388b71b2c3d4')).toBe('eui.0025388b71b2c3d4');
  });

  it('refuses what is not an NAA id, so junk never links two disks', () => {
    for (const junk of [
      undefined,
      '',
      'QEMU HARDDISK',
      '0x1234',
      '0x724a9370c3f1a2b4e5d6a7b800011234',
      '0x624a9370c3f1a2b4',
      'naa.6zz',
    ]) {
      expect(normalizeWwn(junk), String(junk)).toBeUndefined();
    }
  });
});
