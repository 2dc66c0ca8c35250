import { DrkitError } from '@drkit/core';
import { moref, type MoRef, type Vim25Client } from './vim25-client.js';
import { retrieveObject } from './vsphere-property-collector.js';
import { morefOf, type ServiceContent } from './vsphere-service-content.js';
import { bool, child, children, num, text, xmlEscape, type XmlNode } from './vim25-xml.js';

/** A VM's moref from drkit's machine id (its instanceUuid), through the SearchIndex. */
export async function findVm(
  client: Vim25Client,
  content: ServiceContent,
  machineId: string,
  signal?: AbortSignal,
): Promise<MoRef> {
  const response = await client.invoke(
    'FindByUuid',
    content.searchIndex,
    `<uuid>${xmlEscape(machineId)}</uuid><vmSearch>true</vmSearch><instanceUuid>true</instanceUuid>`,
    { signal },
  );
  const found = morefOf(child(response, 'returnval'));
  if (!found) throw new DrkitError('not-found', `no virtual machine with instance UUID ${machineId}`);
  return found;
}

export interface VmState {
  name: string;
  powerState: string;
  toolsRunning: string;
  snapshots: SnapshotNode[];
}

export interface SnapshotNode {
  snapshot: MoRef;
  name: string;
  description: string;
  createTime: string;
  quiesced: boolean;
  /** Where VSS left its backup manifest; empty when the guest was quiesced at file-system level only. */
  backupManifest: string;
}

export async function vmState(
  client: Vim25Client,
  content: ServiceContent,
  vm: MoRef,
  signal?: AbortSignal,
): Promise<VmState> {
  const o = await retrieveObject(
    client,
    content.propertyCollector,
    vm,
    ['name', 'runtime.powerState', 'guest.toolsRunningStatus', 'snapshot'],
    signal,
  );
  if (!o) throw new DrkitError('not-found', `virtual machine ${vm.value} is gone`);
  return {
    name: o.props.get('name')?.text ?? vm.value,
    powerState: o.props.get('runtime.powerState')?.text ?? 'unknown',
    toolsRunning: o.props.get('guest.toolsRunningStatus')?.text ?? 'guestToolsNotRunning',
    snapshots: snapshotTree(o.props.get('snapshot')),
  };
}

/** Every snapshot of a VirtualMachineSnapshotInfo, the tree flattened. */
export function snapshotTree(info: XmlNode | undefined): SnapshotNode[] {
  const out: SnapshotNode[] = [];
  const walk = (nodes: XmlNode[]) => {
    for (const n of nodes) {
      const ref = morefOf(child(n, 'snapshot'));
      if (ref)
        out.push({
          snapshot: ref,
          name: text(n, 'name') ?? '',
          description: text(n, 'description') ?? '',
          createTime: text(n, 'createTime') ?? '',
          quiesced: bool(n, 'quiesced') ?? false,
          backupManifest: text(n, 'backupManifest') ?? '',
        });
      walk(children(n, 'childSnapshotList'));
    }
  };
  walk(children(info, 'rootSnapshotList'));
  return out;
}

export interface SnapshotDisk {
  key: string;
  label: string;
  sizeBytes: number;
  /** `[datastore] dir/name.vmdk` as the snapshot's configuration points at it. */
  fileName: string;
  datastore?: MoRef;
  changeId?: string;
}

/**
 * The disks a snapshot captured — its own configuration's VirtualDisk devices and their
 * backings — or, given a VM, the disks it has now (the same property).
 */
export async function snapshotDisks(
  client: Vim25Client,
  content: ServiceContent,
  snapshot: MoRef,
  signal?: AbortSignal,
): Promise<SnapshotDisk[]> {
  const o = await retrieveObject(client, content.propertyCollector, snapshot, ['config.hardware.device'], signal);
  if (!o) throw new DrkitError('not-found', `snapshot ${snapshot.value} is gone`);
  return (o.props.get('config.hardware.device')?.children ?? [])
    .filter((d) => (d.xsiType ?? d.name) === 'VirtualDisk')
    .map((d) => {
      const backing = child(d, 'backing');
      const datastore = morefOf(child(backing, 'datastore'));
      const changeId = text(backing, 'changeId');
      return {
        key: text(d, 'key') ?? '?',
        label: text(d, 'deviceInfo', 'label') ?? `disk ${text(d, 'key')}`,
        sizeBytes: num(d, 'capacityInBytes') ?? (num(d, 'capacityInKB') ?? 0) * 1024,
        fileName: text(backing, 'fileName') ?? '',
        ...(datastore && { datastore }),
        ...(changeId && { changeId }),
      };
    });
}

export const snapshotRef = (id: string): MoRef => moref('VirtualMachineSnapshot', id);
