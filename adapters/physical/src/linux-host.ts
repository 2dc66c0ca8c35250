import { DrkitError, type InventoryItem, type ReplicationOps } from '@drkit/core';
import type { HostContext, HostOps } from './host-ops.js';
import { linuxDisks } from './linux-disks.js';
import { gatherLinuxFacts } from './linux-facts.js';
import { linuxInventory } from './linux-inventory.js';
import { linuxSnapshotOps } from './linux-snapshots.js';
import { diffable, isSnapshotName, snapshotFile } from './snapshot-commands.js';
import { openSshDisk } from './ssh-disk-source.js';

/**
 * A Linux server over SSH — no agent, only what a login can run: discovery from
 * lsblk/ip/os-release, fsfreeze-held snapshots (btrfs, reflink, LVM, ZFS), and disk reads
 * through a Python block helper on the host.
 */
export async function connectLinux(ctx: HostContext): Promise<HostOps> {
  const { options } = ctx;
  const facts = await gatherLinuxFacts(await ctx.session(), ctx.signal);
  const disks = linuxDisks(facts, options.disks);
  const snapshotable = disks.length > 0 && disks.every((d) => d.mechanism.kind !== 'none');
  const canFreeze = facts.tools.has('fsfreeze') && facts.tools.has('timeout');

  const replication: ReplicationOps = {
    async openDisk(snapshotId, machineId, diskId) {
      if (machineId !== facts.machineId)
        throw new DrkitError('not-found', `this host is machine ${facts.machineId}, not ${machineId}`);
      const disk = disks.find((d) => d.id === diskId);
      if (!disk) throw new DrkitError('not-found', `no disk ${diskId} on ${facts.hostname}`);
      if (!facts.python)
        throw new DrkitError('missing-command', `${facts.hostname} has no python3: disk reads need it`);
      return openSshDisk(await ctx.session(), {
        python: facts.python,
        diskId,
        path: snapshotFile(disk, snapshotId),
        sizeBytes: disk.device.sizeBytes,
        token: snapshotId,
        ...(diffable(disk) && {
          baseFiles: (token: string) =>
            isSnapshotName(token) && token !== snapshotId ? [snapshotFile(disk, token)] : [],
        }),
        ...(options.compress && { compress: true }),
      });
    },
  };

  return {
    machineId: facts.machineId,
    capabilities: {
      apiVersion: facts.kernel,
      discovery: true,
      snapshot: {
        consistency: snapshotable ? (canFreeze ? ['crash', 'app'] : ['crash']) : [],
        fusedPhases: false,
        mechanisms: [
          ...new Set(disks.map((d) => d.mechanism.kind).filter((k) => k !== 'none')),
          ...(canFreeze ? ['fsfreeze'] : []),
        ],
        // Disks that are array LUNs have no snapshot here, but their filesystems can be frozen.
        freezeOnly: canFreeze && disks.some((d) => d.mountpoints.length > 0),
      },
      replication: {
        diskRead: snapshotable && !!facts.python,
        changeTracking: snapshotable && !!facts.python && disks.every(diffable),
        remoteHashing: !!facts.python,
      },
    },
    site: { product: facts.os.PRETTY_NAME ?? 'Linux', version: facts.kernel, instanceId: facts.machineId },
    inventory: () => [
      ...linuxInventory(facts, disks),
      ...disks.flatMap((d): InventoryItem[] =>
        d.mechanism.kind === 'none' ? [{ kind: 'warning', message: `${d.device.path}: ${d.mechanism.reason}` }] : [],
      ),
    ],
    snapshots: linuxSnapshotOps({
      session: ctx.session,
      machineId: facts.machineId,
      disks: () => disks,
      ...(options.hooks && { hooks: options.hooks }),
      ...(options.freezeBudgetMs !== undefined && { freezeBudgetMs: options.freezeBudgetMs }),
    }),
    replication,
  };
}
