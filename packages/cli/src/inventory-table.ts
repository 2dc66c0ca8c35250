import type { Inventory } from '@drkit/core';
import { printable } from './printable.js';

/** 1536 → `1.5K`, 33554432 → `32M`: binary units, at most one decimal. */
export function humanBytes(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T', 'P'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)}${units[unit]}`;
}

/** A readable summary: site, counts, then one line per machine, sorted by name. */
export function formatInventory(inv: Inventory): string {
  const lines: string[] = [];
  const s = inv.site;
  lines.push(`site      ${s.endpoint}  (${[s.product, s.version].filter(Boolean).join(' ') || s.adapter})`);
  lines.push(
    `inventory ${inv.machines.length} machines, ${inv.hosts.length} hosts, ${inv.clusters.length} clusters, ` +
      `${inv.storage.length} datastores, ${inv.networks.length} networks`,
  );
  lines.push('');
  const hostName = new Map(inv.hosts.map((h) => [h.id, h.name]));
  const rows = [...inv.machines]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((m) => [
      m.name,
      m.powerState,
      m.os.family,
      String(m.cpuCount ?? '-'),
      m.memoryBytes !== undefined ? humanBytes(m.memoryBytes) : '-',
      `${m.disks.length}/${humanBytes(m.disks.reduce((n, d) => n + d.capacityBytes, 0))}`,
      m.addresses[0] ?? '-',
      (m.hostId && hostName.get(m.hostId)) ?? '-',
    ]);
  lines.push(...table(['MACHINE', 'POWER', 'OS', 'CPU', 'MEM', 'DISKS', 'ADDRESS', 'HOST'], rows));
  for (const w of inv.warnings) lines.push(`warning: ${printable(w)}`);
  return `${lines.join('\n')}\n`;
}

function table(head: string[], cells: string[][]): string[] {
  const rows = cells.map((r) => r.map(printable));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [fmt(head), ...rows.map(fmt)];
}
