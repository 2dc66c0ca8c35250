import type { VssReport } from '@drkit/core';

/** `vssadmin list writers`: each writer's name, state, and whether it failed. */
export function parseWriters(text: string): VssReport['writers'] {
  const out: VssReport['writers'] = [];
  for (const block of text.split(/Writer name: /).slice(1)) {
    const name = /^'([^']*)'/.exec(block)?.[1] ?? block.split('\n')[0]!.trim();
    const state = /State: \[\d+\] (.+)/.exec(block)?.[1]?.trim() ?? 'unknown';
    const lastError = /Last error: (.+)/.exec(block)?.[1]?.trim() ?? 'unknown';
    out.push({ name, state, failed: lastError !== 'No error' || /fail/i.test(state) });
  }
  return out;
}
