/**
 * The normalized inventory every adapter produces. Ids are stable for the same object on
 * the same site across runs and sessions; `nativeId` keeps the platform's own handle
 * (a vSphere moref, a Hyper-V VMId, a device path). Schema version 1: fields may be added,
 * never renamed or retyped.
 */
export const INVENTORY_SCHEMA_VERSION = 1 as const;

export type PowerState = 'on' | 'off' | 'suspended' | 'unknown';
export type OsFamily = 'windows' | 'linux' | 'other' | 'unknown';

export interface Disk {
  id: string;
  name: string;
  capacityBytes: number;
  /** Where the disk lives: a datastore path, a VHDX path, a block device. */
  path?: string;
  storageId?: string;
  /** Thin / thick / dynamic / differencing, as the platform says it. */
  provisioning?: string;
  /** Changed-block tracking on this disk, where the platform tells. */
  changeTracking?: boolean;
  /**
   * The SCSI/NVMe world-wide name, normalized by `normalizeWwn` (`naa.` + lower-case hex),
   * where the platform shows it: the key that links a host's disk to an array volume.
   */
  wwn?: string;
}

export interface Nic {
  id: string;
  name: string;
  macAddress?: string;
  networkId?: string;
  addresses: string[];
  connected?: boolean;
}

export interface Machine {
  id: string;
  nativeId: string;
  name: string;
  powerState: PowerState;
  os: { family: OsFamily; name?: string };
  cpuCount?: number;
  memoryBytes?: number;
  /** How the machine boots, where the platform says (Hyper-V: generation 1 is BIOS, 2 UEFI). */
  firmware?: 'bios' | 'efi';
  hostId?: string;
  clusterId?: string;
  disks: Disk[];
  nics: Nic[];
  /** Every address the guest reports, primary first. */
  addresses: string[];
  storageIds: string[];
  networkIds: string[];
  /** Guest agent state where one exists (VMware Tools, Hyper-V integration services). */
  guestAgent?: { state: 'running' | 'not-running' | 'not-installed' | 'unknown'; version?: string };
  /** Where a management layer places the machine (VMM: its cloud and host group), by name. */
  placement?: { cloud?: string; hostGroup?: string };
  template?: boolean;
}

export interface Host {
  id: string;
  nativeId: string;
  name: string;
  clusterId?: string;
  product?: string;
  version?: string;
  connectionState?: string;
  powerState: PowerState;
  storageIds: string[];
  networkIds: string[];
}

export interface Cluster {
  id: string;
  nativeId: string;
  name: string;
  hostIds: string[];
}

export interface Storage {
  id: string;
  nativeId: string;
  name: string;
  type?: string;
  capacityBytes?: number;
  freeBytes?: number;
  url?: string;
  accessible?: boolean;
  /** The LUNs the storage is made of (VMFS extents), normalized NAA ids: every disk on it lives on them. */
  wwns?: string[];
}

export interface Network {
  id: string;
  nativeId: string;
  name: string;
  type?: string;
}

/** One item of a streamed discovery. */
export type InventoryItem =
  | { kind: 'machine'; machine: Machine }
  | { kind: 'host'; host: Host }
  | { kind: 'cluster'; cluster: Cluster }
  | { kind: 'storage'; storage: Storage }
  | { kind: 'network'; network: Network }
  /** Something the pass could not see or had to work around; lands in Inventory.warnings. */
  | { kind: 'warning'; message: string };

export type InventoryEntryKind = Exclude<InventoryItem['kind'], 'warning'>;

export interface SiteInfo {
  adapter: string;
  /** The endpoint as given, without credentials. */
  endpoint: string;
  product?: string;
  version?: string;
  apiVersion?: string;
  /** The site's own identity (vCenter instanceUuid, host name, array serial). */
  instanceId?: string;
}

export interface Inventory {
  schemaVersion: typeof INVENTORY_SCHEMA_VERSION;
  site: SiteInfo;
  collectedAt: string;
  machines: Machine[];
  hosts: Host[];
  clusters: Cluster[];
  storage: Storage[];
  networks: Network[];
  /** What the adapter could not see or had to work around. Empty when the pass was clean. */
  warnings: string[];
}
