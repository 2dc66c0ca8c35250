import type { Inventory } from '@drkit/core';

const GiB = 1024 ** 3;

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
      m.memoryBytes !== undefined ? `${(m.memoryBytes / GiB).toFixed(1)}G` : '-',
      `${m.disks.length}/${(m.disks.reduce((n, d) => n + d.capacityBytes, 0) / GiB).toFixed(1)}G`,
      m.addresses[0] ?? '-',
      (m.hostId && hostName.get(m.hostId)) ?? '-',
    ]);
  lines.push(...table(['MACHINE', 'POWER', 'OS', 'CPU', 'MEM', 'DISKS', 'ADDRESS', 'HOST'], rows));
  for (const w of inv.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n') + '\n';
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [fmt(head), ...rows.map(fmt)];
}
