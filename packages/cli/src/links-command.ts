import { DrkitError } from '@drkit/core';
import type { NativeLink } from '@drkit/core';
import type { CommandIo } from './discover-command.js';
import { openAdapter, type ConnectionFlags } from './open-adapter.js';

export interface LinksFlags extends ConnectionFlags {
  update?: string;
  failover?: string;
  resync?: string;
  json?: boolean;
}

/**
 * `drkit links <endpoint>`: the platform's own replication — SnapMirror relationships, pgroup
 * targets, Hyper-V Replica relationships, VMM replication groups — with state, health and lag; `--update/--failover/--resync <link id>` act on one
 * and print the links as they are afterwards.
 */
export async function runLinks(endpoint: string | undefined, flags: LinksFlags, io: CommandIo): Promise<void> {
  const actions = (['update', 'failover', 'resync'] as const).filter((a) => flags[a]);
  if (actions.length > 1) throw new DrkitError('bad-input', 'one of --update, --failover and --resync at a time');
  const { adapter } = await openAdapter(endpoint, flags, io.err, io.registry);
  try {
    await adapter.connect({ signal: io.signal });
    const replication = adapter.native?.replication;
    if (!replication)
      throw new DrkitError(
        'bad-input',
        `${adapter.site.endpoint} declares no replication of its own: links are a platform's (SnapMirror, Pure pgroups, Hyper-V Replica, VMM replication groups)`,
      );
    const action = actions[0];
    if (action) {
      io.err(`drkit: ${action} of ${flags[action]}…`);
      await replication[action](flags[action]!, { signal: io.signal });
    }
    const links = await replication.links({ signal: io.signal });
    io.out(flags.json ? `${JSON.stringify(links, null, 2)}\n` : formatLinks(links));
  } finally {
    await adapter.close();
  }
}

function formatLinks(links: NativeLink[]): string {
  if (links.length === 0) return 'no replication links\n';
  const rows = links.map((l) => [
    l.id,
    `${l.source} → ${l.target}`,
    `${l.state} (${l.rawState})`,
    l.healthy ? 'healthy' : `UNHEALTHY${l.reasons.length ? `: ${l.reasons.join('; ')}` : ''}`,
    l.lagSeconds === undefined ? '-' : `${l.lagSeconds}s`,
  ]);
  const head = ['LINK', 'SOURCE → TARGET', 'STATE', 'HEALTH', 'LAG'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return (
    [head, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') +
    '\n'
  );
}
