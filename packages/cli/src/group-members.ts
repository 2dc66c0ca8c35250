import {
  collectInventory,
  describeMachine,
  DrkitError,
  type Adapter,
  type GroupMember,
  type Machine,
  type Storage,
} from '@drkit/core';
import { readGroupConfig, type GroupConfig } from './group-config.js';
import type { AdapterRegistry } from './adapter-registry.js';
export type { GroupConfig } from './group-config.js';
import { openAdapter, type ConnectionFlags } from './open-adapter.js';

export interface OpenedGroup {
  members: GroupMember[];
  /** The members' machines as discovery found them now (array groups excluded). */
  machines: Machine[];
  config: Partial<GroupConfig>;
  close(): Promise<void>;
}

/** Connects every endpoint once and resolves `--machine` (id or name) on it; all machines when none is named. */
export async function openGroup(
  endpoint: string | undefined,
  machines: string[],
  flags: ConnectionFlags & { group?: string | GroupConfig },
  warn: (l: string) => void,
  registry: AdapterRegistry,
): Promise<OpenedGroup> {
  const wanted = new Map<string, { flags: ConnectionFlags; machines: string[] }>();
  let config: Partial<GroupConfig> = {};
  if (flags.group) {
    config = typeof flags.group === 'string' ? await readGroupConfig(flags.group) : flags.group;
    for (const m of config.members ?? []) {
      const { machine: _, ...endpointFlags } = m;
      const entry = wanted.get(m.endpoint) ?? { flags: { ...flags, ...endpointFlags }, machines: [] };
      entry.machines.push(m.machine);
      wanted.set(m.endpoint, entry);
    }
  }
  if (endpoint) wanted.set(endpoint, { flags, machines: [...(wanted.get(endpoint)?.machines ?? []), ...machines] });
  if (wanted.size === 0) throw new DrkitError('bad-input', 'give an endpoint, or --group <file>');

  const adapters: Adapter[] = [];
  const members: GroupMember[] = [];
  const chosen: Machine[] = [];
  const storage: Storage[] = [];
  try {
    for (const [ep, { flags: f, machines: names }] of wanted) {
      const { adapter } = await openAdapter(ep, f, warn, registry);
      adapters.push(adapter);
      await adapter.connect();
      const inventory = await collectInventory(
        adapter.site,
        // Networks too: a point names each NIC's network, which a recovery's network map matches.
        adapter.discover({ kinds: config.arrays?.length ? ['machine', 'network', 'storage'] : ['machine', 'network'] }),
      );
      storage.push(...inventory.storage);
      for (const m of pick(inventory.machines, names, ep)) {
        members.push({ adapter, machineId: m.id, name: m.name, description: describeMachine(m, inventory.networks) });
        chosen.push(m);
      }
    }
    for (const array of config.arrays ?? []) {
      // Loaded for arrays only: the SAN package brings the HTTP stack, which a group of local or
      // SSH machines does not need at start-up.
      const { volumesBehind } = await import('@drkit/san');
      const { adapter } = await openAdapter(array.endpoint, { ...flags, ...array }, warn, registry);
      adapters.push(adapter);
      await adapter.connect();
      const inventory = await collectInventory(adapter.site, adapter.discover({ kinds: ['machine'] }));
      const links = volumesBehind(chosen, [inventory], storage);
      if (links.length === 0) warn(`drkit: ${array.endpoint}: no member's disk is a LUN of this array`);
      for (const groupId of new Set(links.map((l) => l.groupMachineId))) {
        const group = inventory.machines.find((m) => m.id === groupId)!;
        const users = [...new Set(links.filter((l) => l.groupMachineId === groupId).map((l) => l.machineId))];
        // Under the servers' freeze only when they use every volume of the group: a volume
        // another server writes to would not be held still by it.
        const covered = group.disks.every((d) => links.some((l) => l.volumeDiskId === d.id));
        // A datastore LUN holds other machines' files too: ordered after the members, never lifted.
        const shared = links.some((l) => l.groupMachineId === groupId && l.via === 'datastore');
        const names = users.map((id) => chosen.find((m) => m.id === id)!.name);
        if (shared)
          warn(
            `drkit: ${group.name} holds a datastore other machines may share: snapshotted after ${names.join(', ')}, crash-consistent as a whole`,
          );
        else if (!covered)
          warn(
            `drkit: ${group.name} also holds volumes no member uses: it is snapshotted beside the members, crash-consistent`,
          );
        const relation = shared ? { after: users } : covered ? { under: users } : {};
        members.push({
          adapter,
          machineId: groupId,
          name: `${group.name} (array group under ${names.join(', ')})`,
          ...relation,
        });
      }
      // A server whose every disk is an array LUN only freezes; the array snapshots its data.
      for (const member of members) {
        const machine = chosen.find((m) => m.id === member.machineId && member.adapter !== adapter);
        const onArray =
          machine &&
          machine.disks.length > 0 &&
          machine.disks.every((d) =>
            links.some((l) => l.machineId === machine.id && l.diskId === d.id && l.via === 'disk'),
          );
        if (
          onArray &&
          member.adapter.capabilities.snapshot.freezeOnly &&
          members.some((g) => g.under?.includes(machine.id))
        )
          member.freezeOnly = true;
      }
    }
  } catch (error) {
    await Promise.all(adapters.map((a) => a.close()));
    throw error;
  }
  return {
    members,
    machines: chosen,
    config,
    close: async () => void (await Promise.all(adapters.map((a) => a.close()))),
  };
}

function pick(machines: Machine[], names: string[], endpoint: string): Machine[] {
  if (names.length === 0) {
    if (machines.length === 0) throw new DrkitError('bad-input', `${endpoint}: no machines`);
    return machines;
  }
  return names.map((n) => {
    const byId = machines.find((m) => m.id === n);
    const byName = machines.filter((m) => m.name === n);
    if (byId) return byId;
    if (byName.length > 1)
      throw new DrkitError('bad-input', `${endpoint}: ${byName.length} machines are named ${n}; use the id`);
    if (!byName[0]) throw new DrkitError('bad-input', `${endpoint}: no machine with id or name ${n}`);
    return byName[0];
  });
}
