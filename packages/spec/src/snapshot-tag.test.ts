import { describe, expect, it } from 'vitest';
import { checkSnapshotTag } from './snapshot-tag.js';

describe('a snapshot tag', () => {
  it("drkit's own tags pass on every platform's rules", () => {
    const tag = 'drkit-0b7c2f4e-58a1-4d3e-9a6b-2f1c0d9e8a7b';
    for (const rules of [
      { maxLength: 63, namesLikeArrays: true },
      { maxLength: 80 },
      { maxLength: 100 },
      { maxLength: 200 },
    ]) {
      expect(checkSnapshotTag(tag, rules)).toBe(tag);
    }
  });

  it('refuses what would become a path, a shell word or an array name the array refuses, saying what is allowed', () => {
    for (const bad of ['../etc', 'a b', 'x;rm', '', '-lead', 'a'.repeat(81)]) {
      expect(() => checkSnapshotTag(bad, { maxLength: 80 })).toThrow(/letters, digits, '\.', '_' and '-', at most 80/);
    }
    expect(() => checkSnapshotTag('drkit.1', { maxLength: 63, namesLikeArrays: true })).toThrow(
      /starting with a letter, at most 63/,
    );
    expect(() => checkSnapshotTag('1drkit', { maxLength: 63, namesLikeArrays: true })).toThrow(
      /bad-input|starting with a letter/,
    );
  });
});
