import { DrkitError } from '@drkit/spec';
import { INVENTORY_SCHEMA_VERSION, type Inventory, type InventoryItem, type SiteInfo } from '@drkit/spec';

/**
 * Drains a discovery stream into one Inventory. A duplicate id is an adapter bug and fails
 * loudly rather than being papered over.
 */
export async function collectInventory(
  site: SiteInfo,
  items: AsyncIterable<InventoryItem>,
  warnings: string[] = [],
): Promise<Inventory> {
  const inventory: Inventory = {
    schemaVersion: INVENTORY_SCHEMA_VERSION,
    site,
    collectedAt: new Date().toISOString(),
    machines: [],
    hosts: [],
    clusters: [],
    storage: [],
    networks: [],
    warnings,
  };
  const seen = new Set<string>();
  for await (const item of items) {
    if (item.kind === 'warning') {
      inventory.warnings.push(item.message);
      continue;
    }
    const entry = itemEntry(item);
    const key = `${item.kind}:${entry.id}`;
    if (seen.has(key)) throw new DrkitError('protocol', `discovery yielded ${item.kind} ${entry.id} twice`);
    seen.add(key);
    switch (item.kind) {
      case 'machine':
        inventory.machines.push(item.machine);
        break;
      case 'host':
        inventory.hosts.push(item.host);
        break;
      case 'cluster':
        inventory.clusters.push(item.cluster);
        break;
      case 'storage':
        inventory.storage.push(item.storage);
        break;
      case 'network':
        inventory.networks.push(item.network);
        break;
    }
  }
  return inventory;
}

export function itemEntry(item: Exclude<InventoryItem, { kind: 'warning' }>): { id: string; name: string } {
  switch (item.kind) {
    case 'machine':
      return item.machine;
    case 'host':
      return item.host;
    case 'cluster':
      return item.cluster;
    case 'storage':
      return item.storage;
    case 'network':
      return item.network;
  }
}
