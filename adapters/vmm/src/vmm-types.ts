/** What the VMM scripts print: plain values, enums by name, ids as strings. */
export interface VmmServerFacts {
  name: string;
  fqdn: string;
  version: string;
  port: number;
}

export interface VmmVm {
  id: string;
  /** The Hyper-V VM GUID, the same id the Hyper-V adapter reports. */
  vmId: string;
  name: string;
  status: string;
  cpus: number;
  memoryMB: number;
  hostId: string | null;
  cloudId: string | null;
  checkpointType: string;
  disks: Array<{
    id: string;
    bus: string;
    busNumber: number;
    lun: number;
    path: string;
    sizeBytes: number;
    type: string;
    format: string;
  }>;
  nics: Array<{ id: string; mac: string; vmNetworkId: string | null; addresses: string[] }>;
}

export interface VmmSite {
  hostGroups: Array<{ id: string; name: string; path: string }>;
  clouds: Array<{ id: string; name: string; hostGroupIds: string[] }>;
  hosts: Array<{
    id: string;
    name: string;
    fqdn: string;
    cluster: string | null;
    os: string;
    state: string;
    hostGroupId: string | null;
  }>;
  vmNetworks: Array<{ id: string; name: string; logicalNetwork: string | null }>;
  vms: VmmVm[];
  luns: Array<{ id: string; name: string; arrayName: string | null; sizeBytes: number }>;
  replicationGroups: ReplicationGroupFacts[];
}

export interface ReplicationGroupFacts {
  id: string;
  name: string;
  state: string;
  health: string;
  isPrimary: boolean;
  lunIds?: string[];
}

export interface CheckpointFacts {
  id: string;
  name: string;
  created: string | null;
  checkpointType: string;
  status: string;
}
