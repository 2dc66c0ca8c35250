import type { Inventory, Machine, Storage } from '@drkit/core';

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
  /**
   * `disk`: the disk is the LUN (a physical server's block device, an RDM). `datastore`: the
   * disk is a file on storage made of the LUN (a VMFS datastore) — other machines' files
   * may share it.
   */
  via: 'disk' | 'datastore';
}

/**
 * Which array volumes lie under these machines, by the evidence both sides show: the NAA
 * id a host sees for a disk (physical adapter: lsblk WWN; a vSphere RDM) or for the storage
 * the disk is a file on (a VMFS datastore's extents), and the one an array gives its
 * volume. No match, no link — a guess would put the wrong volumes in a recovery point.
 */
export function volumesBehind(
  machines: readonly Machine[],
  arrays: readonly Inventory[],
  storage: readonly Storage[] = [],
): VolumeLink[] {
  const byWwn = new Map<string, { array: Inventory; group: Machine; diskId: string }>();
  for (const array of arrays) {
    for (const group of array.machines)
      for (const d of group.disks) if (d.wwn) byWwn.set(d.wwn, { array, group, diskId: d.id });
  }
  const links: VolumeLink[] = [];
  const extents = new Map(storage.map((s) => [s.id, s.wwns ?? []]));
  for (const m of machines) {
    for (const d of m.disks) {
      const evidence: Array<[string, VolumeLink['via']]> = d.wwn
        ? [[d.wwn, 'disk']]
        : (d.storageId ? (extents.get(d.storageId) ?? []) : []).map((w) => [w, 'datastore']);
      for (const [wwn, via] of evidence) {
        const hit = byWwn.get(wwn);
        if (!hit) continue;
        links.push({
          machineId: m.id,
          diskId: d.id,
          wwn,
          ...(hit.array.site.instanceId && { arrayInstanceId: hit.array.site.instanceId }),
          groupMachineId: hit.group.id,
          groupName: hit.group.name,
          volumeDiskId: hit.diskId,
          via,
        });
      }
    }
  }
  return links;
}
