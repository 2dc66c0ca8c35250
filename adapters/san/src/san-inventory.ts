import type { InventoryEntryKind, InventoryItem } from '@drkit/core';
import type { ArrayFacts } from './array-driver.js';
import type { ArrayView } from './array-view.js';

/**
 * The array as inventory: containers are storage, initiator groups are hosts, each
 * consistency group is a machine whose disks are its volumes (with their NAA ids, so a
 * host's disk can be traced to the array volume under it).
 */
export function* sanInventory(
  facts: ArrayFacts,
  view: ArrayView,
  kinds?: ReadonlyArray<InventoryEntryKind>,
): Iterable<InventoryItem> {
  const wants = (kind: InventoryEntryKind) => !kinds || kinds.includes(kind);
  const site = facts.instanceId;
  const storageId = (id: string) => `${site}/container/${id}`;
  if (wants('storage')) {
    for (const c of view.containers) {
      yield {
        kind: 'storage',
        storage: {
          id: storageId(c.id),
          nativeId: c.id,
          name: c.name,
          type: c.type,
          ...(c.capacityBytes !== undefined && { capacityBytes: c.capacityBytes }),
          ...(c.freeBytes !== undefined && { freeBytes: c.freeBytes }),
        },
      };
    }
  }
  if (wants('host')) {
    for (const h of view.hosts) {
      yield {
        kind: 'host',
        host: {
          id: `${site}/initiator-group/${h.id}`,
          nativeId: h.id,
          name: h.name,
          product: h.protocol ? `initiator group (${h.protocol})` : 'initiator group',
          powerState: 'unknown',
          storageIds: [],
          networkIds: [],
        },
      };
    }
  }
  if (wants('machine')) {
    const label = facts.vendor === 'netapp' ? 'ONTAP consistency group' : 'FlashArray protection group';
    const known = new Set(view.containers.map((c) => c.id));
    for (const { group, volumes } of view.groups) {
      const storageIds = [
        ...new Set(
          volumes.flatMap((v) => (v.containerId && known.has(v.containerId) ? [storageId(v.containerId)] : [])),
        ),
      ];
      yield {
        kind: 'machine',
        machine: {
          id: `${site}/group/${group.id}`,
          nativeId: group.id,
          name: group.name,
          powerState: 'unknown',
          os: { family: 'other', name: label },
          disks: volumes.map((v) => ({
            id: `${site}/volume/${v.id}`,
            name: v.name,
            capacityBytes: v.sizeBytes,
            ...(v.path && { path: v.path }),
            ...(v.containerId && known.has(v.containerId) && { storageId: storageId(v.containerId) }),
            ...(v.wwn && { wwn: v.wwn }),
          })),
          nics: [],
          addresses: [],
          storageIds,
          networkIds: [],
        },
      };
    }
  }
  if (view.ungrouped.length > 0) {
    const names = view.ungrouped
      .slice(0, 5)
      .map((v) => v.path ?? v.name)
      .join(', ');
    yield {
      kind: 'warning',
      message: `${view.ungrouped.length} volume(s) are in no ${facts.vendor === 'netapp' ? 'consistency group' : 'protection group'} and cannot be protected by an array snapshot: ${names}${view.ungrouped.length > 5 ? ', …' : ''}`,
    };
  }
  const empty = view.groups.filter((g) => g.volumes.length === 0);
  if (empty.length > 0)
    yield { kind: 'warning', message: `group(s) with no volumes: ${empty.map((g) => g.group.name).join(', ')}` };
}
