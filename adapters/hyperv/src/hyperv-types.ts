/** What the host-side scripts print: plain values, enums by name, dates ISO 8601. */
export interface HostFacts {
  name: string;
  uuid: string;
  os: string;
  version: string;
  build: number;
  logicalProcessors: number;
  memoryBytes: number;
  module: string | null;
  cluster: string | null;
  replica: { enabled: boolean; port: number } | null;
}

export interface VhdFacts {
  format: string;
  type: string;
  sizeBytes: number;
  fileBytes: number;
  parentPath: string;
  diskIdentifier: string;
}

export interface VmDiskFacts {
  controller: string;
  controllerNumber: number;
  location: number;
  path: string;
  passThrough: boolean;
  vhd: VhdFacts | null;
}

export interface VmNicFacts {
  id: string;
  name: string;
  mac: string;
  switchId: string | null;
  connected: boolean;
  addresses: string[];
}

export interface IntegrationServiceFacts {
  name: string;
  id: string;
  enabled: boolean;
  status: string;
}

export interface VmFacts {
  id: string;
  name: string;
  state: string;
  generation: number;
  version: string;
  cpus: number;
  memoryBytes: number;
  checkpointType: string;
  replicationState: string;
  replicationHealth: string;
  replicationMode: string;
  clustered: boolean;
  path: string;
  integrationServicesVersion: string;
  disks: VmDiskFacts[];
  nics: VmNicFacts[];
  integrationServices: IntegrationServiceFacts[];
}

export interface SiteFacts {
  switches: Array<{ id: string; name: string; type: string }>;
  vms: VmFacts[];
}

export interface TakeResult {
  snapshotId: string;
  name: string;
  created: string | null;
  jobState: number;
  jobMessage: string;
  events: Array<{ id: number; message: string }>;
  /** The VM's state and its VSS integration service when the snapshot was asked for. */
  vmState: string;
  vss: { enabled: boolean; status: string } | null;
}

export interface ListedSnapshot {
  vmId: string;
  snapshotId: string;
  name: string;
  created: string | null;
}

export type { ReplicationFacts } from '@drkit/hyperv-replica';

/** The VSS integration service ("Backup (volume shadow copy)") by its fixed id. */
export const VSS_SERVICE_ID = '84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47';

export function vssService(vm: VmFacts): IntegrationServiceFacts | undefined {
  return vm.integrationServices.find((s) => s.id.toUpperCase().endsWith(VSS_SERVICE_ID) || s.name === 'VSS');
}
