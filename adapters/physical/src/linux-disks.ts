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
  /** A classic LVM snapshot (lvcreate -s): copy-on-write space in the volume group. */
  | { kind: 'lvm'; vg: string; lv: string }
  /** A ZFS snapshot of a volume, read through /dev/zvol/<name>@<snapshot> (snapdev=visible). */
  | { kind: 'zfs'; dataset: string }
  | { kind: 'none'; reason: string };

export interface LinuxDisk {
  /** Stable across runs: `<machine-id>/<wwn|serial|kernel name>`. */
  id: string;
  device: BlockDevice;
  mechanism: DiskMechanism;
  /** Filesystems mounted from this disk or its partitions: what an app-consistent point freezes. */
  mountpoints: string[];
}

const NOT_DISKS = new Set(['rom', 'part', 'crypt', 'raid0', 'raid1', 'raid5', 'raid6', 'raid10', 'md']);

/** The disks a host offers for protection, narrowed to `only` (device paths) when given. */
export function linuxDisks(facts: LinuxFacts, only?: readonly string[]): LinuxDisk[] {
  const all = flatten(facts.devices);
  // Logical volumes are disks too (lsblk shows them under their physical volumes), but not
  // snapshots, thin pools or their hidden parts — only what lvs lists as a plain or origin volume.
  const volumes = new Map(
    facts.logicalVolumes
      .filter((v) => v.attr[0] === '-' || v.attr[0] === 'o' || v.attr[0] === 'V')
      .map((v) => [v.dmPath, v]),
  );
  const candidates = all.filter(
    (d) =>
      (d.type === 'lvm' ? volumes.has(d.path) : !NOT_DISKS.has(d.type)) &&
      d.sizeBytes > 0 &&
      !/^(zram|ram)\d+$/.test(d.kname) &&
      (d.type !== 'loop' || facts.loopBacking.has(d.path)),
  );
  let chosen = candidates;
  if (only && only.length > 0) {
    chosen = only.map((path) => {
      const found = all.find(
        (d) => d.path === path || d.kname === path.replace(/^\/dev\//, '') || aliasesOf(facts, d).includes(path),
      );
      if (!found)
        throw new DrkitError(
          'bad-input',
          `${path} is not a block device on ${facts.hostname} (lsblk lists ${candidates.map((d) => d.path).join(', ')})`,
        );
      if (!candidates.includes(found))
        throw new DrkitError('bad-input', `${path} is a ${found.type} device, not a whole disk drkit can replicate`);
      return found;
    });
  }
  return chosen.map((device) => {
    const lv = volumes.get(device.path);
    const zvol = facts.zvols.find((z) => z.device === device.path);
    return {
      // Volumes by name (stable across reboots, unlike dm-N and zdN); disks by WWN or serial.
      id: `${facts.machineId}/${lv ? `lvm/${lv.vg}/${lv.lv}` : zvol ? `zvol/${zvol.name}` : (device.wwn ?? device.serial ?? device.kname)}`,
      device,
      mechanism: mechanismOf(facts, device),
      mountpoints: mountsOf(device),
    };
  });
}

/** Every device lsblk printed, children included (LVs sit under their physical volumes). */
function flatten(devices: BlockDevice[]): BlockDevice[] {
  const out = new Map<string, BlockDevice>();
  const walk = (d: BlockDevice) => {
    if (!out.has(d.path)) out.set(d.path, d);
    d.children.forEach(walk);
  };
  devices.forEach(walk);
  return [...out.values()];
}

/** Other names people use for a device: /dev/<vg>/<lv>, /dev/zvol/<name>. */
function aliasesOf(facts: LinuxFacts, d: BlockDevice): string[] {
  const lv = facts.logicalVolumes.find((v) => v.dmPath === d.path);
  const zvol = facts.zvols.find((z) => z.device === d.path);
  return [...(lv ? [`/dev/${lv.vg}/${lv.lv}`, `${lv.vg}/${lv.lv}`] : []), ...(zvol ? [`/dev/zvol/${zvol.name}`] : [])];
}

function mechanismOf(facts: LinuxFacts, device: BlockDevice): DiskMechanism {
  const lv = facts.logicalVolumes.find((v) => v.dmPath === device.path);
  if (lv)
    return facts.tools.has('lvcreate')
      ? { kind: 'lvm', vg: lv.vg, lv: lv.lv }
      : { kind: 'none', reason: `${device.path} is an LVM volume but lvcreate is not on PATH` };
  const zvol = facts.zvols.find((z) => z.device === device.path);
  if (zvol) {
    return zvol.snapdev === 'visible'
      ? { kind: 'zfs', dataset: zvol.name }
      : {
          kind: 'none',
          reason: `${device.path} is ZFS volume ${zvol.name} with snapdev=${zvol.snapdev}: \`zfs set snapdev=visible ${zvol.name}\` lets drkit read its snapshots`,
        };
  }
  const file = facts.loopBacking.get(device.path);
  if (!file)
    return {
      kind: 'none',
      reason: `${device.path} has no block-level snapshot mechanism drkit can use (it is not an LVM or ZFS volume, nor a disk image on btrfs or xfs)`,
    };
  const store = facts.backingStore.get(file);
  if (store?.fstype === 'btrfs' && store.subvolume && facts.tools.has('btrfs'))
    return { kind: 'btrfs', file, subvolume: store.subvolume };
  if (store?.fstype === 'btrfs' || store?.fstype === 'xfs') return { kind: 'reflink', file };
  return {
    kind: 'none',
    reason: `${device.path} is backed by ${file} on ${store?.fstype ?? 'an unknown filesystem'}, which cannot clone it instantly`,
  };
}

function mountsOf(device: BlockDevice): string[] {
  return [...device.mountpoints, ...device.children.flatMap(mountsOf)].filter((m) => m !== '[SWAP]');
}
