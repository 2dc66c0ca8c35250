import { DrkitError, writeBack, type WriteBackRequest, type WriteBackResult } from '@drkit/core';
import { openPowerShellBlockReader } from '@drkit/powershell';
import type { HyperVRecoveryContext } from './hyperv-recovery-context.js';
import { HYPERV_WRITEBACK_ATTACH } from './hyperv-recovery-scripts.js';
import { diskId } from './hyperv-inventory.js';
import { HYPERV_DISK_DETACH } from './hyperv-scripts.js';

// A disk of terabytes hashed on the host takes its time: the calls get an hour.
const LONG = 60 * 60_000;

/**
 * Failback: each of the VM's virtual hard disks, the VM off, mounted read-write and set
 * offline; the block helper hashes it on the host and writes only the blocks that differ
 * from the point; flushed, then dismounted — also when a write fails.
 */
export async function hypervWriteBack(ctx: HyperVRecoveryContext, request: WriteBackRequest): Promise<WriteBackResult> {
  const { signal } = request;
  const vm = await ctx.vm(request.machineId.toLowerCase(), signal);
  const disks = vm.disks.filter((d) => d.vhd);
  if (disks.length !== request.disks.length)
    throw new DrkitError(
      'bad-input',
      `${vm.name} has ${disks.length} virtual hard disks and the point ${request.disks.length}: a failback writes disk for disk`,
    );
  const ps = await ctx.runner();
  const options = { timeoutMs: LONG, ...(signal && { signal }) };
  const ssh = await ctx.ssh();
  const out: WriteBackResult['disks'] = [];
  for (const [i, disk] of disks.entries()) {
    const from = request.disks[i]!;
    const id = diskId(vm.id.toLowerCase(), disk);
    const [attached] = await ps.invoke<{ device: string; sizeBytes: number; vhdPath: string }>(
      HYPERV_WRITEBACK_ATTACH,
      { vmId: vm.id, controller: disk.controller, controllerNumber: disk.controllerNumber, location: disk.location },
      options,
    );
    if (!attached?.device) throw new DrkitError('protocol', `mounting ${id} for writing returned no device`);
    try {
      const helper = await openPowerShellBlockReader(ssh, attached.device, {
        write: true,
        label: `${ssh.where} ${id}`,
      });
      try {
        const done = await writeBack(
          from.read(),
          from.sizeBytes,
          {
            sizeBytes: Number(attached.sizeBytes),
            hashBlocks: (offset, length, blockSize) => helper.channel.hash(offset, length, blockSize),
            write: (offset, data) => helper.channel.write(offset, data),
          },
          { ...(signal && { signal }), ...(request.onProgress && { onProgress: request.onProgress }) },
        );
        // The helper flushes to the disk as its input ends: dismounting waits for that.
        helper.channel.close();
        await helper.proc.done;
        out.push({ diskId: id, name: from.name, ...done });
      } catch (error) {
        helper.proc.kill();
        await helper.proc.done.catch(() => {});
        throw error;
      }
    } finally {
      await ps.invoke(HYPERV_DISK_DETACH, { vhdPath: attached.vhdPath }, { timeoutMs: LONG });
    }
  }
  return { machineId: request.machineId, disks: out };
}
