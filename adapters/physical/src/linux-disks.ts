import { DrkitError } from '@drkit/core';
import type { LinuxFacts } from './linux-facts.js';
import type { BlockDevice } from './linux-parsers.js';

/**
 * How a disk's blocks can be frozen in time on this host. A block-level snapshot is what
 * replication needs: a btrfs subvolume snapshot or a reflink of a loop device's backing
 * file gives one (copy-on-write, instant); LVM and ZFS zvols have their own. A btrfs
 * snapshot of the filesystem ON a disk does not — it captures files, not the disk.
 */
export type DiskMechanism =
  | { kind: 'btrfs'; file: string; subvolume: string }
  | { kind: 'reflink'; file: string }
  | { kind: 'none'; reason: string };

export interface LinuxDisk {
  /** Stable across runs: `<machine-id>/<wwn|serial|kernel name>`. */
  id: string;
  device: BlockDevice;
  mechanism: DiskMechanism;
  /** Filesystems mounted from this disk or its partitions: what an app-consistent point freezes. */
  mountpoints: string[];
}

const NOT_DISKS = new Set(['rom', 'part', 'lvm', 'crypt', 'raid0', 'raid1', 'raid5', 'raid6', 'raid10', 'md']);

/** The disks a host offers for protection, narrowed to `only` (device paths) when given. */
export function linuxDisks(facts: LinuxFacts, only?: readonly string[]): LinuxDisk[] {
  const candidates = facts.devices.filter((d) => !NOT_DISKS.has(d.type) && d.sizeBytes > 0 && !/^(zram|ram)\d+$/.test(d.kname) && (d.type !== 'loop' || facts.loopBacking.has(d.path)));
  let chosen = candidates;
  if (only && only.length > 0) {
    chosen = only.map((path) => {
      const found = facts.devices.find((d) => d.path === path || d.kname === path.replace(/^\/dev\//, ''));
      if (!found) throw new DrkitError('bad-input', `${path} is not a block device on ${facts.hostname} (lsblk lists ${facts.devices.map((d) => d.path).join(', ')})`);
      if (!candidates.includes(found)) throw new DrkitError('bad-input', `${path} is a ${found.type} device, not a whole disk drkit can replicate`);
      return found;
    });
  }
  return chosen.map((device) => ({
    id: `${facts.machineId}/${device.wwn ?? device.serial ?? device.kname}`,
    device,
    mechanism: mechanismOf(facts, device),
    mountpoints: mountsOf(device),
  }));
}

function mechanismOf(facts: LinuxFacts, device: BlockDevice): DiskMechanism {
  const file = facts.loopBacking.get(device.path);
  if (!file) return { kind: 'none', reason: `${device.path} has no block-level snapshot mechanism drkit can use here (LVM and ZFS volumes are not yet supported live)` };
  const store = facts.backingStore.get(file);
  if (store?.fstype === 'btrfs' && store.subvolume && facts.tools.has('btrfs')) return { kind: 'btrfs', file, subvolume: store.subvolume };
  if (store?.fstype === 'btrfs' || store?.fstype === 'xfs') return { kind: 'reflink', file };
  return { kind: 'none', reason: `${device.path} is backed by ${file} on ${store?.fstype ?? 'an unknown filesystem'}, which cannot clone it instantly` };
}

function mountsOf(device: BlockDevice): string[] {
  return [...device.mountpoints, ...device.children.flatMap(mountsOf)].filter((m) => m !== '[SWAP]');
}
