import {
  normalizeWwn,
  type Cluster,
  type Disk,
  type Host,
  type Machine,
  type Network,
  type Nic,
  type OsFamily,
  type PowerState,
  type Storage,
} from '@drkit/core';
import { morefList, type ObjectContent } from './vsphere-property-collector.js';
import { morefOf } from './vsphere-service-content.js';
import { bool, child, children, num, text, type XmlNode } from './vim25-xml.js';

/**
 * vim25 objects → normalized inventory. Ids: a VM is its instanceUuid (vCenter's own
 * stable identity, kept across re-registration), falling back to the moref; other objects
 * are their moref values, stable within a vCenter. Disks and NICs are `<vm id>/<device key>`.
 */
export function powerState(value: string | undefined): PowerState {
  switch (value) {
    case 'poweredOn':
      return 'on';
    case 'poweredOff':
      return 'off';
    case 'suspended':
      return 'suspended';
    default:
      return 'unknown';
  }
}

const LINUX =
  /linux|rhel|centos|ubuntu|debian|sles|suse|fedora|photon|oracle|asianux|coreos|amazon|rocky|alma|mandr|turbo|redhat|genericLinux/i;

export function osFamily(guestId: string | undefined, guestFamily: string | undefined): OsFamily {
  if (guestFamily === 'windowsGuest') return 'windows';
  if (guestFamily === 'linuxGuest') return 'linux';
  if (!guestId) return 'unknown';
  if (/^win/i.test(guestId)) return 'windows';
  if (LINUX.test(guestId)) return 'linux';
  return 'other';
}

const ETHERNET = /^Virtual(E1000e?|PCNet32|Vmxnet\d?|Vmxnet3Vrdma|SriovEthernetCard)$/;

export function mapMachine(
  o: ObjectContent,
  hostCluster: ReadonlyMap<string, string>,
  portgroupByKey: ReadonlyMap<string, string>,
): Machine {
  const p = o.props;
  const id = p.get('config.instanceUuid')?.text || o.obj.value;
  const hostId = morefOf(p.get('runtime.host'))?.value;
  const devices = p.get('config.hardware.device')?.children ?? [];
  const guestNics = children(p.get('guest.net'), 'GuestNicInfo');
  const disks: Disk[] = [];
  const nics: Nic[] = [];
  const cbt = bool(p.get('config.changeTrackingEnabled'));
  for (const device of devices) {
    const type = device.xsiType ?? device.name;
    if (type === 'VirtualDisk') disks.push(mapDisk(id, device, cbt));
    else if (ETHERNET.test(type) || child(device, 'macAddress'))
      nics.push(mapNic(id, device, guestNics, portgroupByKey));
  }
  const memoryMB = num(p.get('config.hardware.memoryMB'));
  const primary = p.get('guest.ipAddress')?.text;
  const addresses = unique([primary, ...nics.flatMap((n) => n.addresses)]);
  const machine: Machine = {
    id,
    nativeId: o.obj.value,
    name: p.get('name')?.text ?? o.obj.value,
    powerState: powerState(p.get('runtime.powerState')?.text),
    os: { family: osFamily(p.get('config.guestId')?.text, p.get('guest.guestFamily')?.text) },
    disks,
    nics,
    addresses,
    storageIds: morefList(p.get('datastore')).map((r) => r.value),
    networkIds: morefList(p.get('network')).map((r) => r.value),
    guestAgent: {
      state: toolsState(p.get('guest.toolsRunningStatus')?.text, p.get('guest.toolsVersionStatus2')?.text),
    },
  };
  const osName = p.get('config.guestFullName')?.text;
  if (osName) machine.os.name = osName;
  const cpus = num(p.get('config.hardware.numCPU'));
  if (cpus !== undefined) machine.cpuCount = cpus;
  if (memoryMB !== undefined) machine.memoryBytes = memoryMB * 1024 * 1024;
  if (hostId) {
    machine.hostId = hostId;
    const cluster = hostCluster.get(hostId);
    if (cluster) machine.clusterId = cluster;
  }
  const template = bool(p.get('config.template'));
  if (template !== undefined) machine.template = template;
  return machine;
}

function mapDisk(vmId: string, device: XmlNode, cbt: boolean | undefined): Disk {
  const key = text(device, 'key') ?? '?';
  const backing = child(device, 'backing');
  // capacityInBytes exists from API 5.5; older servers give only capacityInKB.
  const bytes = num(device, 'capacityInBytes') ?? (num(device, 'capacityInKB') ?? 0) * 1024;
  const disk: Disk = {
    id: `${vmId}/disk-${key}`,
    name: text(device, 'deviceInfo', 'label') ?? `disk ${key}`,
    capacityBytes: bytes,
  };
  const fileName = text(backing, 'fileName');
  if (fileName) disk.path = fileName;
  const datastore = morefOf(child(backing, 'datastore'));
  if (datastore) disk.storageId = datastore.value;
  const thin = bool(backing, 'thinProvisioned');
  if (thin !== undefined)
    disk.provisioning = thin ? 'thin' : bool(backing, 'eagerlyScrub') ? 'thick-eager-zeroed' : 'thick';
  if (cbt !== undefined) disk.changeTracking = cbt;
  const wwn = rdmWwn(text(backing, 'deviceName'));
  if (wwn) {
    disk.wwn = wwn;
    disk.provisioning = 'raw-device-mapping';
  }
  return disk;
}

/** A raw device mapping names its LUN: `/vmfs/devices/disks/naa.600a0980…` — the link to the array volume. */
export function rdmWwn(deviceName: string | undefined): string | undefined {
  const m = /\/vmfs\/devices\/disks\/((?:naa|eui)\.[0-9a-fA-F]+)$/.exec(deviceName ?? '');
  return m ? normalizeWwn(m[1]) : undefined;
}

function mapNic(vmId: string, device: XmlNode, guestNics: XmlNode[], portgroupByKey: ReadonlyMap<string, string>): Nic {
  const key = text(device, 'key') ?? '?';
  const backing = child(device, 'backing');
  const mac = text(device, 'macAddress');
  const guest =
    guestNics.find((g) => text(g, 'deviceConfigId') === key) ??
    (mac ? guestNics.find((g) => text(g, 'macAddress') === mac) : undefined);
  const nic: Nic = {
    id: `${vmId}/nic-${key}`,
    name: text(device, 'deviceInfo', 'label') ?? `nic ${key}`,
    addresses: guest ? children(guest, 'ipAddress').map((n) => n.text) : [],
  };
  if (mac) nic.macAddress = mac;
  // Standard portgroups name a Network; distributed ones give a portgroup key.
  const network =
    morefOf(child(backing, 'network'))?.value ?? portgroupByKey.get(text(backing, 'port', 'portgroupKey') ?? '');
  if (network) nic.networkId = network;
  const connected = bool(device, 'connectable', 'connected');
  if (connected !== undefined) nic.connected = connected;
  return nic;
}

function toolsState(
  running: string | undefined,
  version: string | undefined,
): NonNullable<Machine['guestAgent']>['state'] {
  if (version === 'guestToolsNotInstalled') return 'not-installed';
  if (running === 'guestToolsRunning') return 'running';
  if (running === 'guestToolsNotRunning') return 'not-running';
  return 'unknown';
}

export function mapHost(o: ObjectContent, hostCluster: ReadonlyMap<string, string>): Host {
  const p = o.props;
  const host: Host = {
    id: o.obj.value,
    nativeId: o.obj.value,
    name: p.get('name')?.text ?? o.obj.value,
    powerState: powerState(p.get('runtime.powerState')?.text),
    storageIds: morefList(p.get('datastore')).map((r) => r.value),
    networkIds: morefList(p.get('network')).map((r) => r.value),
  };
  const cluster = hostCluster.get(o.obj.value);
  if (cluster) host.clusterId = cluster;
  const product = p.get('summary.config.product.name')?.text;
  if (product) host.product = product;
  const version = p.get('summary.config.product.version')?.text;
  if (version) host.version = version;
  const connection = p.get('runtime.connectionState')?.text;
  if (connection) host.connectionState = connection;
  return host;
}

export function mapCluster(o: ObjectContent): Cluster {
  return {
    id: o.obj.value,
    nativeId: o.obj.value,
    name: o.props.get('name')?.text ?? o.obj.value,
    hostIds: morefList(o.props.get('host')).map((r) => r.value),
  };
}

export function mapStorage(o: ObjectContent): Storage {
  const p = o.props;
  const storage: Storage = { id: o.obj.value, nativeId: o.obj.value, name: p.get('name')?.text ?? o.obj.value };
  const type = p.get('summary.type')?.text;
  if (type) storage.type = type;
  const capacity = num(p.get('summary.capacity'));
  if (capacity !== undefined) storage.capacityBytes = capacity;
  const free = num(p.get('summary.freeSpace'));
  if (free !== undefined) storage.freeBytes = free;
  const url = p.get('summary.url')?.text;
  if (url) storage.url = url;
  const accessible = bool(p.get('summary.accessible'));
  if (accessible !== undefined) storage.accessible = accessible;
  const wwns = vmfsExtents(p.get('info'));
  if (wwns.length > 0) storage.wwns = wwns;
  return storage;
}

/** A VMFS datastore's extents: the LUNs (`naa.…` disk names) it is made of. */
export function vmfsExtents(info: XmlNode | undefined): string[] {
  return children(child(info, 'vmfs'), 'extent').flatMap((e) => normalizeWwn(text(e, 'diskName')) ?? []);
}

export function mapNetwork(o: ObjectContent): Network {
  return { id: o.obj.value, nativeId: o.obj.value, name: o.props.get('name')?.text ?? o.obj.value, type: o.obj.type };
}

function unique(values: Array<string | undefined>): string[] {
  return [...new Set(values.filter((v): v is string => !!v))];
}
