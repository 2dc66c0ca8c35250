import { describe, expect, it } from 'vitest';
import { humanBytes } from './inventory-table.js';

describe('sizes in the table', () => {
  it.each([
    [0, '0B'],
    [1536, '1.5K'],
    [32 * 1024 ** 2, '32M'],
    [40 * 1024 ** 3 + 512 * 1024 ** 2, '40.5G'],
  ])('%i bytes read as %s', (bytes, text) => {
    expect(humanBytes(bytes)).toBe(text);
  });
});
