import type { Inventory, Machine } from '@drkit/core';

/** A machine's disk traced to the array volume under it. */
export interface VolumeLink {
  machineId: string;
  diskId: string;
  wwn: string;
  /** The array site (its instance id) and the consistency group (a SAN machine) holding the volume. */
  arrayInstanceId?: string;
  groupMachineId: string;
  groupName: string;
  volumeDiskId: string;
}

/**
 * Which array volumes lie under these machines, by the evidence both sides show: the NAA
 * id a host sees for a disk (physical adapter: lsblk WWN) and the one an array gives its
 * volume. No match, no link — a guess would put the wrong volumes in a recovery point.
 */
export function volumesBehind(machines: readonly Machine[], arrays: readonly Inventory[]): VolumeLink[] {
  const byWwn = new Map<string, { array: Inventory; group: Machine; diskId: string }>();
  for (const array of arrays) {
    for (const group of array.machines) for (const d of group.disks) if (d.wwn) byWwn.set(d.wwn, { array, group, diskId: d.id });
  }
  const links: VolumeLink[] = [];
  for (const m of machines) {
    for (const d of m.disks) {
      const hit = d.wwn ? byWwn.get(d.wwn) : undefined;
      if (!hit) continue;
      links.push({
        machineId: m.id,
        diskId: d.id,
        wwn: d.wwn!,
        ...(hit.array.site.instanceId && { arrayInstanceId: hit.array.site.instanceId }),
        groupMachineId: hit.group.id,
        groupName: hit.group.name,
        volumeDiskId: hit.diskId,
      });
    }
  }
  return links;
}
