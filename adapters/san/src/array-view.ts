import type { ArrayContainer, ArrayDriver, ArrayGroup, ArrayHost, ArrayVolume } from './array-driver.js';

export interface ResolvedGroup {
  group: ArrayGroup;
  /** Every volume in the group, however the array names its members. */
  volumes: ArrayVolume[];
}

/** One read of an array's objects, with groups resolved to their volumes. */
export interface ArrayView {
  containers: ArrayContainer[];
  hosts: ArrayHost[];
  volumes: ArrayVolume[];
  groups: ResolvedGroup[];
  /** Volumes in no group: an array snapshot cannot protect them. */
  ungrouped: ArrayVolume[];
  groupById(id: string): ResolvedGroup | undefined;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/**
 * Reads the four collections in parallel. An array holds thousands of volumes, not
 * millions: they are held once here so groups can be resolved by container and host.
 */
export async function readArrayView(driver: ArrayDriver, signal?: AbortSignal): Promise<ArrayView> {
  const o = signal ? { signal } : {};
  const [containers, hosts, volumes, groups] = await Promise.all([
    collect(driver.containers(o)),
    collect(driver.hosts(o)),
    collect(driver.volumes(o)),
    collect(driver.groups(o)),
  ]);
  const byId = new Map(volumes.map((v) => [v.id, v]));
  const resolved = groups.map((group): ResolvedGroup => {
    const ids = new Set(group.volumeIds);
    const containers = new Set(group.containerIds);
    for (const v of volumes) if (v.containerId && containers.has(v.containerId)) ids.add(v.id);
    for (const h of hosts) if (group.hostIds.includes(h.id)) for (const id of h.volumeIds) ids.add(id);
    return { group, volumes: [...ids].flatMap((id) => byId.get(id) ?? []) };
  });
  const grouped = new Set(resolved.flatMap((g) => g.volumes.map((v) => v.id)));
  return {
    containers,
    hosts,
    volumes,
    groups: resolved,
    ungrouped: volumes.filter((v) => !grouped.has(v.id)),
    groupById: (id) => resolved.find((g) => g.group.id === id),
  };
}
