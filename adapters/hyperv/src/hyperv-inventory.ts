import type { Disk, InventoryEntryKind, InventoryItem, Machine, PowerState } from '@drkit/core';
import type { HostFacts, SiteFacts, VmDiskFacts, VmFacts } from './hyperv-types.js';

const POWER: Record<string, PowerState> = { Running: 'on', Off: 'off', Saved: 'suspended', Paused: 'suspended' };

export const hostId = (host: HostFacts) => `hyperv-host:${host.uuid.toLowerCase()}`;
export const diskId = (vmId: string, d: Pick<VmDiskFacts, 'controller' | 'controllerNumber' | 'location'>) =>
  `${vmId}/${d.controller.toLowerCase()}-${d.controllerNumber}-${d.location}`;

/** A Hyper-V host and its VMs as inventory; ids are the host's SMBIOS UUID and the VMs' own GUIDs. */
export function* hypervInventory(
  host: HostFacts,
  site: SiteFacts,
  kinds?: ReadonlyArray<InventoryEntryKind>,
): Iterable<InventoryItem> {
  const wants = (k: InventoryEntryKind) => !kinds || kinds.includes(k);
  const clusterId = host.cluster ? `hyperv-cluster:${host.cluster.toLowerCase()}` : undefined;
  if (wants('host')) {
    yield {
      kind: 'host',
      host: {
        id: hostId(host),
        nativeId: host.uuid,
        name: host.name,
        product: host.os,
        version: host.version,
        powerState: 'on',
        ...(clusterId && { clusterId }),
        storageIds: [],
        networkIds: site.switches.map((s) => `switch:${s.id}`),
      },
    };
  }
  if (clusterId && wants('cluster'))
    yield {
      kind: 'cluster',
      cluster: { id: clusterId, nativeId: host.cluster!, name: host.cluster!, hostIds: [hostId(host)] },
    };
  if (wants('network'))
    for (const s of site.switches)
      yield {
        kind: 'network',
        network: { id: `switch:${s.id}`, nativeId: s.id, name: s.name, type: `vswitch-${s.type.toLowerCase()}` },
      };
  for (const vm of site.vms) {
    if (wants('machine')) yield { kind: 'machine', machine: machineOf(vm, host, clusterId, site) };
    for (const d of vm.disks.filter((x) => !x.vhd)) {
      yield {
        kind: 'warning',
        message: `${vm.name}: ${d.passThrough ? 'pass-through disk' : 'disk'} at ${d.controller} ${d.controllerNumber}:${d.location} has no virtual hard disk drkit can snapshot or read; left out`,
      };
    }
    if (vm.checkpointType === 'Disabled')
      yield { kind: 'warning', message: `${vm.name}: checkpoints are disabled on this VM` };
  }
}

function machineOf(vm: VmFacts, host: HostFacts, clusterId: string | undefined, site: SiteFacts): Machine {
  const heartbeat = vm.integrationServices.find((s) => s.name === 'Heartbeat');
  const switches = new Set(site.switches.map((s) => s.id));
  const nics = vm.nics.map((n) => ({
    id: `${vm.id}/nic-${n.id.split('\\').pop()}`,
    name: n.name,
    ...(/^[0-9A-F]{12}$/i.test(n.mac) && { macAddress: n.mac.match(/../g)!.join(':').toLowerCase() }),
    ...(n.switchId && switches.has(n.switchId) && { networkId: `switch:${n.switchId}` }),
    addresses: n.addresses,
    connected: n.connected,
  }));
  return {
    id: vm.id.toLowerCase(),
    nativeId: vm.id,
    name: vm.name,
    powerState: POWER[vm.state] ?? 'unknown',
    os: { family: 'unknown' },
    cpuCount: vm.cpus,
    memoryBytes: vm.memoryBytes,
    firmware: vm.generation === 2 ? 'efi' : 'bios',
    hostId: hostId(host),
    ...(vm.clustered && clusterId && { clusterId }),
    disks: vm.disks
      .filter((d) => d.vhd)
      .map(
        (d): Disk => ({
          id: diskId(vm.id.toLowerCase(), d),
          name: `${d.controller} ${d.controllerNumber}:${d.location}`,
          capacityBytes: d.vhd!.sizeBytes,
          path: d.path,
          provisioning: `${d.vhd!.format.toLowerCase()}-${d.vhd!.type.toLowerCase()}`,
        }),
      ),
    nics,
    addresses: nics.flatMap((n) => n.addresses),
    storageIds: [],
    networkIds: [...new Set(nics.flatMap((n) => (n.networkId ? [n.networkId] : [])))],
    guestAgent: {
      state: !heartbeat
        ? 'unknown'
        : !heartbeat.enabled
          ? 'not-running'
          : heartbeat.status === 'OK'
            ? 'running'
            : 'not-running',
      ...(vm.integrationServicesVersion && { version: vm.integrationServicesVersion }),
    },
  };
}
