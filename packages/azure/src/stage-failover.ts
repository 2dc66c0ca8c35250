import type { ContainerClient } from '@azure/storage-blob';
import { DrkitError, uniqueNames, type OperationOptions, type PointManifest, type StagedFailover } from '@drkit/core';
import { azureError } from './azure-errors.js';
import type { AzureLayout } from './azure-layout.js';
import { readSnapshotDisk } from './snapshot-reader.js';

/**
 * Failover to Azure, storage side: each disk of the point is copied, server-side, from its
 * snapshot to `recovered/<point>/<machine>/<disk>.vhd` — a page blob holding a fixed VHD, what
 * `az disk create --source` takes — then read back and checked against the point's
 * checksums. Creating managed disks and VMs is Azure Resource Manager's, which no emulator
 * here provides: the commands are printed for the operator (or a pipeline) to run.
 */
export async function stageFailover(
  container: ContainerClient,
  layout: AzureLayout,
  point: PointManifest,
  snapshots: Record<string, string>,
  options: OperationOptions = {},
): Promise<StagedFailover> {
  const out: StagedFailover = {
    pointId: point.id,
    disks: [],
    next: [],
    notes: [
      'managed disks and VMs are created through Azure Resource Manager (az, ARM templates), which Azurite does not emulate: run the commands below against the subscription',
    ],
  };
  const machines = uniqueNames(point.members.map((m) => ({ name: m.name, id: m.machineId })));
  for (const [i, member] of point.members.entries()) {
    const diskNames = uniqueNames(member.disks.map((d) => ({ name: d.name, id: d.diskId })));
    const made: string[] = [];
    for (const [j, disk] of member.disks.entries()) {
      const snap = snapshots[disk.key];
      if (!snap) throw new DrkitError('integrity', `point ${point.id} names no snapshot for disk ${disk.name}`);
      const source = container.getPageBlobClient(layout.replica(disk.key)).withSnapshot(snap);
      const target = container.getPageBlobClient(layout.recovered(point.id, machines[i]!, diskNames[j]!));
      options.onProgress?.({ kind: 'phase', phase: 'copy', detail: `${member.name}/${disk.name}` });
      try {
        const poller = await target.beginCopyFromURL(source.url, { abortSignal: options.signal });
        const done = await poller.pollUntilDone();
        if (done.copyStatus !== 'success')
          throw new DrkitError('platform', `the service's copy of disk ${disk.name} ended ${done.copyStatus}`);
      } catch (error) {
        throw azureError(error, `copying disk ${disk.name} of point ${point.id}`);
      }
      const root = await readSnapshotDisk(target, disk, options);
      if (root !== disk.root)
        throw new DrkitError('integrity', `the copy of disk ${disk.name} does not match point ${point.id}'s checksums`);
      const url = target.url.split('?')[0]!;
      out.disks.push({ machine: member.name, disk: disk.name, sizeBytes: disk.sizeBytes, root, location: url });
      const name = `${machines[i]}-${diskNames[j]}`.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 80);
      made.push(name);
      out.next.push(
        `az disk create --resource-group <resource-group> --name ${name} --source ${url}${j === 0 ? ' --os-type <Linux|Windows>' : ''}`,
      );
    }
    const [os, ...data] = made;
    if (os)
      out.next.push(
        `az vm create --resource-group <resource-group> --name ${machines[i]} --attach-os-disk ${os} --os-type <Linux|Windows>${data.length ? ` --attach-data-disks ${data.join(' ')}` : ''}`,
      );
  }
  return out;
}
