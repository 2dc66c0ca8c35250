import { choosePoint, collectInventory, DrkitError, UnsupportedError, type WriteBackResult } from '@drkit/core';
import type { CommandIo } from './discover-command.js';
import { openAdapter } from './open-adapter.js';
import { withStore } from './point-commands.js';
import { progressReporter } from './progress-reporter.js';
import { connection, type RecoverFlags } from './recover-command.js';

/**
 * `drkit recover failback <store> --machine <member>[=<original>] --to <endpoint> --yes`: the
 * point's machines (the recovered ones, protected back into `store`) written into the original
 * machines at the original site — each disk hashed there and only the blocks that differ sent
 * where the platform can (Hyper-V), else written whole (vSphere over HTTP; the JSON says so).
 * The originals must be off; nothing is created or removed.
 */
export async function runRecoverFailback(storeLocation: string | undefined, flags: RecoverFlags, io: CommandIo) {
  if (!storeLocation) throw new DrkitError('bad-input', 'give the store: drkit recover failback <store> …');
  if (!flags.to) throw new DrkitError('bad-input', 'give --to <endpoint>: the original site');
  const pairs = (flags.machine ?? []).map((m) => {
    const [member, original] = m.split('=');
    if (!member) throw new DrkitError('bad-input', `--machine ${m}: expected <point member>[=<original machine>]`);
    return { member, original: original || member };
  });
  if (pairs.length === 0) throw new DrkitError('bad-input', 'give --machine <point member>[=<original machine>]');
  if (!flags.yes && !process.stdin.isTTY)
    throw new DrkitError('bad-input', `a failback overwrites disks on ${flags.to}: give --yes`);
  await withStore(
    storeLocation,
    flags as Record<string, unknown>,
    async (store) => {
      const point = choosePoint(await store.listPoints(), flags.point ?? 'latest');
      const read = store.readPointDisk?.bind(store);
      if (!read) throw new UnsupportedError('recovery', `${storeLocation}: cannot stream a point's disks`);
      const members = pairs.map((p) => {
        const member = point.members.find((m) => m.name === p.member || m.machineId === p.member);
        if (!member)
          throw new DrkitError(
            'bad-input',
            `${p.member} is not in point ${point.id} (it holds ${point.members.map((m) => m.name).join(', ')})`,
          );
        return { ...p, member };
      });
      const { adapter } = await openAdapter(flags.to, connection(flags), io.err, io.registry);
      try {
        await adapter.connect({ signal: io.signal });
        const writeBack = adapter.recovery?.writeBack?.bind(adapter.recovery);
        if (!writeBack)
          throw new UnsupportedError('recovery', `${adapter.kind}: cannot write a point back into a machine`);
        const inventory = await collectInventory(
          adapter.site,
          adapter.discover({ kinds: ['machine'], signal: io.signal }),
        );
        const results: Array<{ source: string; into: string } & WriteBackResult> = [];
        for (const m of members) {
          const original = inventory.machines.find((x) => x.name === m.original || x.id === m.original);
          if (!original) throw new DrkitError('not-found', `no machine ${m.original} on ${flags.to}`);
          io.err(`drkit: writing ${m.member.name} back into ${original.name}`);
          const done = await writeBack({
            machineId: original.id,
            disks: m.member.disks.map((d) => ({
              name: d.name,
              sizeBytes: d.sizeBytes,
              read: () => read(point.id, d.key, { signal: io.signal }),
            })),
            signal: io.signal,
            onProgress: progressReporter(io.err),
          });
          results.push({ source: m.member.name, into: original.name, ...done });
        }
        const out = {
          point: { id: point.id, createdAt: point.createdAt, consistency: point.consistency },
          machines: results,
        };
        io.out(
          flags.json
            ? `${JSON.stringify(out, null, 2)}\n`
            : `${results
                .map(
                  (r) =>
                    `${r.source} → ${r.into}: ${r.disks
                      .map((d) =>
                        d.bytesCompared > 0
                          ? `${d.name} wrote ${d.bytesWritten} of ${d.bytesCompared} bytes`
                          : `${d.name} written whole, ${d.bytesWritten} bytes (the platform cannot compare in place)`,
                      )
                      .join(', ')}`,
                )
                .join('\n')}\n`,
        );
      } finally {
        await adapter.close();
      }
    },
    io,
  );
}
