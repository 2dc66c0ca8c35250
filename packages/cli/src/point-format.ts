import type { GroupStatement, PointManifest } from '@drkit/core';
import { humanBytes } from './inventory-table.js';
import { printable } from './printable.js';

export function describeStatement(s: GroupStatement): string {
  const basis =
    s.basis === 'shared-freeze' ? 'one shared freeze across members' : `taken within ${s.skewMs} ms of each other`;
  const fell = s.achieved !== s.requested ? ` (requested ${s.requested}${s.reason ? `: ${s.reason}` : ''})` : '';
  return `${s.achieved}-consistent, ${basis}${fell}`;
}

export function formatPoints(points: PointManifest[]): string {
  if (points.length === 0) return 'no recovery points\n';
  const lines: string[] = [];
  for (const p of points) {
    lines.push(`${p.id}  ${p.createdAt}  ${describeStatement(p.consistency)}`);
    for (const m of p.members) {
      lines.push(`  ${printable(m.name)} (${m.adapter}, ${m.achieved})`);
      for (const d of m.disks)
        lines.push(
          `    ${printable(d.name)}  ${humanBytes(d.sizeBytes)}  ${d.mode}${d.resyncReason ? ` (${d.resyncReason})` : ''}  wrote ${humanBytes(d.bytesWritten)}`,
        );
    }
    for (const w of p.warnings) lines.push(`  warning: ${printable(w)}`);
  }
  return `${lines.join('\n')}\n`;
}
