import type { VssReport } from '@drkit/core';

export interface Shadow {
  id: string;
  /** The original volume as diskshadow names it, e.g. `C:\`. */
  volume: string;
  /** `\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopyN`. */
  device: string;
}

/** Shadow copies in diskshadow's `create` output (verbose listing after creation). */
export function parseDiskshadow(text: string): Shadow[] {
  const out: Shadow[] = [];
  for (const block of text.split(/\*\s+Shadow copy ID = /).slice(1)) {
    const id = /^(\{[0-9a-fA-F-]{36}\})/.exec(block)?.[1];
    const volume = /Original volume name: .*?\[([^\]]+)\]/.exec(block)?.[1];
    const device = /Shadow copy device name: (\S+)/.exec(block)?.[1];
    if (id && device) out.push({ id, volume: volume ?? '', device });
  }
  return out;
}

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
