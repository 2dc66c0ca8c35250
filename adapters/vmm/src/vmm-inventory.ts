import type { InventoryEntryKind, InventoryItem, Machine, PowerState } from '@drkit/core';
import type { VmmSite, VmmVm } from './vmm-types.js';

const POWER: Record<string, PowerState> = {
  Running: 'on',
  PowerOff: 'off',
  Stopped: 'off',
  Saved: 'suspended',
  Paused: 'suspended',
};

/** A VM's drkit id: its Hyper-V GUID (what the Hyper-V adapter says too), else VMM's own id. */
export const machineIdOf = (vm: Pick<VmmVm, 'id' | 'vmId'>) => (vm.vmId || vm.id).toLowerCase();

/**
 * A VMM estate as inventory: hosts and their clusters, VM networks (the keys of a network
 * mapping between sites), SAN LUNs as storage, VMs with their cloud and host group as
 * placement. Replication groups are reported: on SAN, they are the unit of consistency.
 */
export function* vmmInventory(site: VmmSite, kinds?: ReadonlyArray<InventoryEntryKind>): Iterable<InventoryItem> {
  const wants = (k: InventoryEntryKind) => !kinds || kinds.includes(k);
  const clusterId = (name: string) => `vmm-cluster:${name.toLowerCase()}`;
  const hostId = (id: string) => `vmm-host:${id}`;
  if (wants('host')) {
    for (const h of site.hosts) {
      yield {
        kind: 'host',
        host: {
          id: hostId(h.id),
          nativeId: h.id,
          name: h.fqdn || h.name,
          product: h.os,
          connectionState: h.state,
          powerState: 'unknown',
          ...(h.cluster && { clusterId: clusterId(h.cluster) }),
          storageIds: [],
          networkIds: [],
        },
      };
    }
  }
  if (wants('cluster')) {
    for (const name of new Set(site.hosts.flatMap((h) => (h.cluster ? [h.cluster] : [])))) {
      yield {
        kind: 'cluster',
        cluster: {
          id: clusterId(name),
          nativeId: name,
          name,
          hostIds: site.hosts.filter((h) => h.cluster === name).map((h) => hostId(h.id)),
        },
      };
    }
  }
  if (wants('network'))
    for (const n of site.vmNetworks)
      yield {
        kind: 'network',
        network: {
          id: `vmnetwork:${n.id}`,
          nativeId: n.id,
          name: n.name,
          type: n.logicalNetwork ? `vm-network on ${n.logicalNetwork}` : 'vm-network',
        },
      };
  if (wants('storage'))
    for (const l of site.luns)
      yield {
        kind: 'storage',
        storage: {
          id: `vmm-lun:${l.id}`,
          nativeId: l.id,
          name: l.name,
          type: l.arrayName ? `san-lun on ${l.arrayName}` : 'san-lun',
          capacityBytes: l.sizeBytes,
        },
      };
  if (wants('machine')) for (const vm of site.vms) yield { kind: 'machine', machine: machineOf(vm, site) };
  for (const g of site.replicationGroups) {
    yield {
      kind: 'warning',
      message: `replication group ${g.name} (${g.isPrimary ? 'primary' : 'recovery'}, ${g.state}, ${g.health}) holds ${g.lunIds?.length ?? 0} LUN(s): on SAN storage the replication group is the unit of consistency — protect its VMs with it`,
    };
  }
}

function machineOf(vm: VmmVm, site: VmmSite): Machine {
  const host = site.hosts.find((h) => h.id === vm.hostId);
  const cloud = site.clouds.find((c) => c.id === vm.cloudId);
  const group = site.hostGroups.find((g) => g.id === host?.hostGroupId);
  const networks = new Set(site.vmNetworks.map((n) => n.id));
  const id = machineIdOf(vm);
  const nics = vm.nics.map((n) => ({
    id: `${id}/nic-${n.id}`,
    name: `adapter ${n.id.slice(0, 8)}`,
    ...(/^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/i.test(n.mac) && { macAddress: n.mac.toLowerCase() }),
    ...(n.vmNetworkId && networks.has(n.vmNetworkId) && { networkId: `vmnetwork:${n.vmNetworkId}` }),
    addresses: n.addresses,
  }));
  return {
    id,
    nativeId: vm.id,
    name: vm.name,
    powerState: POWER[vm.status] ?? 'unknown',
    os: { family: 'unknown' },
    cpuCount: vm.cpus,
    memoryBytes: vm.memoryMB * 2 ** 20,
    ...(host && { hostId: `vmm-host:${host.id}` }),
    ...(host?.cluster && { clusterId: `vmm-cluster:${host.cluster.toLowerCase()}` }),
    disks: vm.disks.map((d) => ({
      id: `${id}/${d.bus.toLowerCase()}-${d.busNumber}-${d.lun}`,
      name: `${d.bus} ${d.busNumber}:${d.lun}`,
      capacityBytes: d.sizeBytes,
      path: d.path,
      provisioning: `${d.format.toLowerCase()}-${d.type.toLowerCase()}`,
    })),
    nics,
    addresses: nics.flatMap((n) => n.addresses),
    storageIds: [],
    networkIds: [...new Set(nics.flatMap((n) => (n.networkId ? [n.networkId] : [])))],
    ...((cloud || group) && {
      placement: { ...(cloud && { cloud: cloud.name }), ...(group && { hostGroup: group.path || group.name }) },
    }),
  };
}
