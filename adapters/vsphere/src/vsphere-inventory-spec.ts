import type { PropertySpec } from './vsphere-property-collector.js';

/**
 * What discovery asks the PropertyCollector for. Paths are exact vim25 property paths;
 * asking for sub-paths (not whole `config`) keeps responses a fraction of the size.
 */
export const VM_PROPERTIES: PropertySpec = {
  type: 'VirtualMachine',
  paths: [
    'name',
    'config.uuid',
    'config.instanceUuid',
    'config.guestId',
    'config.guestFullName',
    'config.template',
    'config.changeTrackingEnabled',
    'config.hardware.numCPU',
    'config.hardware.memoryMB',
    'config.hardware.device',
    'runtime.powerState',
    'runtime.host',
    'guest.toolsRunningStatus',
    'guest.toolsVersionStatus2',
    'guest.guestFamily',
    'guest.ipAddress',
    'guest.net',
    'datastore',
    'network',
  ],
};

export const HOST_PROPERTIES: PropertySpec = {
  type: 'HostSystem',
  paths: [
    'name',
    'parent',
    'summary.config.product.name',
    'summary.config.product.version',
    'runtime.connectionState',
    'runtime.powerState',
    'datastore',
    'network',
  ],
};

export const CLUSTER_PROPERTIES: PropertySpec = { type: 'ClusterComputeResource', paths: ['name', 'host'] };

export const DATASTORE_PROPERTIES: PropertySpec = {
  type: 'Datastore',
  // `info` (not `info.vmfs`, which DatastoreInfo does not declare) for a VMFS volume's extents.
  paths: ['name', 'summary.type', 'summary.capacity', 'summary.freeSpace', 'summary.url', 'summary.accessible', 'info'],
};

/** `Network` covers its subtypes (DistributedVirtualPortgroup, OpaqueNetwork) in a PropertySpec. */
export const NETWORK_PROPERTIES: PropertySpec = { type: 'Network', paths: ['name'] };

/** Container views match exact types in the simulator, so the network subtypes are listed. */
export const INFRA_VIEW_TYPES = [
  'ClusterComputeResource',
  'HostSystem',
  'Datastore',
  'Network',
  'DistributedVirtualPortgroup',
  'OpaqueNetwork',
];
export const INFRA_PROPERTIES = [CLUSTER_PROPERTIES, HOST_PROPERTIES, DATASTORE_PROPERTIES, NETWORK_PROPERTIES];
