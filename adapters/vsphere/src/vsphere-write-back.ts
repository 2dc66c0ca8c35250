import { Readable } from 'node:stream';
import { DrkitError, UnsupportedError, type WriteBackRequest, type WriteBackResult } from '@drkit/core';
import { uploadToDatastore } from './datastore-upload.js';
import { diskDataFile, type DatastoreFile } from './vsphere-disk-source.js';
import type { VSphereRecoveryContext } from './vsphere-recovery-context.js';
import { findVm, snapshotDisks, vmState } from './vsphere-vm.js';

/**
 * Failback into a vSphere VM whose disks still exist: the point written over each disk's data
 * file through the datastore HTTP interface, so the original VM — its identity, NICs and
 * settings — runs the point's data. Whole disks: a /folder PUT replaces a file, and no vSphere
 * HTTP interface writes part of a disk or hashes one where it lives (that takes VDDK's NBD
 * transport or an agent on the host), so nothing is compared and every byte is written — the
 * result says so (`bytesCompared` 0). Everything is checked before the first byte: the VM is
 * off and has no snapshots (its disks would be chains), as many disks as the point, each the
 * same size and a file /folder reaches.
 */
export async function vsphereWriteBack(
  ctx: VSphereRecoveryContext,
  request: WriteBackRequest,
): Promise<WriteBackResult> {
  const { signal } = request;
  const { client } = ctx;
  const vm = await ctx.withSession(() => findVm(client, ctx.content(), request.machineId, signal));
  const state = await ctx.withSession(() => vmState(client, ctx.content(), vm, signal));
  if (state.powerState !== 'poweredOff')
    throw new DrkitError(
      'invalid-state',
      `${state.name} is ${state.powerState}: power it off before a point is written into it`,
    );
  if (state.snapshots.length > 0)
    throw new DrkitError(
      'invalid-state',
      `${state.name} has ${state.snapshots.length} snapshot(s): its disks are chains; delete them before a failback`,
    );
  const disks = await ctx.withSession(() => snapshotDisks(client, ctx.content(), vm, signal));
  if (disks.length !== request.disks.length)
    throw new DrkitError(
      'bad-input',
      `${state.name} has ${disks.length} disk(s), the point's machine ${request.disks.length}: not the machine it came from`,
    );
  const targets: Array<{ file: DatastoreFile; diskId: string; name: string; disk: WriteBackRequest['disks'][number] }> =
    [];
  for (const [i, d] of disks.entries()) {
    const disk = request.disks[i]!;
    if (d.sizeBytes !== disk.sizeBytes)
      throw new DrkitError(
        'bad-input',
        `${state.name}: ${d.label} holds ${d.sizeBytes} bytes, the point's ${disk.name} ${disk.sizeBytes}`,
      );
    if (!d.datastore)
      throw new UnsupportedError(
        'recovery',
        `${state.name}: ${d.label} is not on a datastore (RDM?): not writable over /folder`,
      );
    const datacenter = await ctx.datacenterOf(d.datastore, signal);
    const { file } = await diskDataFile(
      { transport: ctx.transport, cookie: () => client.cookie, relogin: ctx.relogin, fileName: d.fileName, datacenter },
      signal,
    );
    targets.push({ file, diskId: `${request.machineId}/disk-${d.key}`, name: d.label, disk });
  }
  const written: WriteBackResult['disks'] = [];
  for (const t of targets) {
    request.onProgress?.({ kind: 'phase', phase: 'write', detail: `${state.name}: ${t.name}, whole` });
    await uploadToDatastore(ctx, t.file, Readable.from(t.disk.read()), {
      sizeBytes: t.disk.sizeBytes,
      ...(signal && { signal }),
    });
    written.push({ diskId: t.diskId, name: t.name, bytesCompared: 0, bytesWritten: t.disk.sizeBytes });
  }
  return { machineId: request.machineId, disks: written };
}
