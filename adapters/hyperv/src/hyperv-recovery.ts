import { createReadStream } from 'node:fs';
import {
  checkSnapshotTag,
  DrkitError,
  mappedNetworks,
  parseRecoveryMark,
  recoveryMark,
  recoveryStep,
  recoveryMarkLine,
  vhdFooter,
  withRecoveryState,
  type MachineDescription,
  type RecoveredMachine,
  type RecoveryOps,
  type RecoveryRequest,
} from '@drkit/core';
import { uploadFileOverSsh, type PowerShellRunner } from '@drkit/powershell';
import {
  HYPERV_RECOVERY_CREATE,
  HYPERV_RECOVERY_FINISH,
  HYPERV_RECOVERY_GET,
  HYPERV_RECOVERY_LIST,
  HYPERV_RECOVERY_MARK,
  HYPERV_RECOVERY_REMOVE,
  HYPERV_RECOVERY_TARGET,
  HYPERV_VM_SHUTDOWN,
} from './hyperv-recovery-scripts.js';
import type { HyperVRecoveryContext } from './hyperv-recovery-context.js';
import { hypervWriteBack } from './hyperv-write-back.js';

interface TargetFacts {
  switches: string[];
  virtualMachinePath: string;
  logicalProcessors: number;
  names: string[];
}

interface Listed {
  id: string;
  name: string;
  notes: string;
  state: string;
}

const LONG = { timeoutMs: 60 * 60_000 };
// Hyper-V takes startup memory in whole 2 MiB (it refuses an odd number of MB).
const MEMORY_STEP = 2 * 1024 * 1024;
// A fixed VHD holds at most 2,040 GiB (the format's limit that Convert-VHD inherits).
const VHD_MAX_BYTES = 2040 * 1024 ** 3;
// Characters a Windows folder name cannot hold, and names it reserves: the VM's folder is its name.
const BAD_NAME = /[\\/:*?"<>|\x00-\x1f]|^[. ]|[. ]$|^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;

/**
 * Recovery onto a standalone Hyper-V host: New-VM with the point's generation, memory and
 * processors (no disk, no NIC, Notes marked `building`), each disk sent over the SSH session
 * as a fixed VHD (the raw image, only its non-zero MiB, plus drkit's 512-byte footer) into the
 * VM's own new folder, converted to VHDX where generation 2 needs it, attached, NICs on the
 * mapped switches, started, marked `ready`. A re-run and a cleanup find the VM by its Notes.
 */
export function hypervRecovery(ctx: HyperVRecoveryContext): RecoveryOps {
  const invoke = async <T>(op: Parameters<PowerShellRunner['invoke']>[0], input: unknown, signal?: AbortSignal) =>
    (await ctx.runner()).invoke<T>(op, input, { ...LONG, ...(signal && { signal }) });
  /** A VM a drkit recovery made (its Notes say so), or an error: nothing else is ever changed. */
  const ours = async (machineId: string, signal?: AbortSignal) => {
    const [vm] = await invoke<Listed>(HYPERV_RECOVERY_GET, { vmId: machineId }, signal);
    if (!vm) throw new DrkitError('not-found', `no VM ${machineId} on the host`);
    if (!parseRecoveryMark(vm.notes))
      throw new DrkitError('invalid-state', `${vm.name} was not made by a drkit recovery: left alone`);
    return vm;
  };

  return {
    async recover(request: RecoveryRequest): Promise<RecoveredMachine> {
      checkSnapshotTag(request.tag, { maxLength: 64 });
      const { signal } = request;
      const d = request.description;
      if (BAD_NAME.test(request.name) || request.name.length > 100)
        throw new DrkitError('bad-input', `${JSON.stringify(request.name)} cannot name a Hyper-V VM and its folder`);
      if (request.disks.length === 0) throw new DrkitError('bad-input', `${request.name}: the point holds no disk`);
      for (const disk of request.disks) {
        if (!disk.read && !disk.path)
          throw new DrkitError('bad-input', `${disk.name}: neither a stream nor an image to upload`);
        if (disk.sizeBytes % 512 !== 0 || disk.sizeBytes > VHD_MAX_BYTES)
          throw new DrkitError(
            'bad-input',
            `${disk.name}: ${disk.sizeBytes} bytes is not whole sectors up to 2,040 GiB (a fixed VHD's limit)`,
          );
      }
      // Everything is checked before anything is made: names, switches, processors.
      recoveryStep(request, 'check');
      const [target] = await invoke<TargetFacts>(HYPERV_RECOVERY_TARGET, {}, signal);
      if (!target) throw new DrkitError('protocol', 'the host did not describe itself');
      if (target.names.includes(request.name))
        throw new DrkitError(
          'conflict',
          `a VM named ${request.name} already exists on the host: give the recovered machine another name`,
        );
      const nics = mappedNetworks(request).map(({ nic, network }) => {
        if (!target.switches.includes(network))
          throw new DrkitError('bad-input', `${request.name}: no virtual switch named ${network} on the host`);
        return { name: nic, switch: network };
      });
      const { shape, notes } = machineShape(d, target.logicalProcessors);
      if (shape.generation === 2 && d.os.family !== 'linux' && d.os.family !== 'windows')
        notes.push("Secure Boot with Hyper-V's default (Windows) template: the point did not record the guest OS");
      if (!request.placement?.datastore) notes.push(`placed under ${target.virtualMachinePath} (the host's default)`);

      recoveryStep(request, 'create');
      const [made] = await invoke<{ id: string; folder: string; disks: string }>(
        HYPERV_RECOVERY_CREATE,
        {
          name: request.name,
          ...shape,
          notes: recoveryMark(request.tag, request.pointId, 'building'),
          ...(request.placement?.datastore && { path: request.placement.datastore }),
        },
        signal,
      );
      if (!made?.id) throw new DrkitError('protocol', `New-VM for ${request.name} returned no VM`);
      const ssh = await ctx.ssh();
      const files: string[] = [];
      recoveryStep(request, 'upload');
      for (const [i, disk] of request.disks.entries()) {
        const file = `${request.name}_${i}.vhd`;
        await uploadFileOverSsh(ssh, {
          dir: made.disks,
          file,
          length: disk.sizeBytes + 512,
          chunks: disk.read ? disk.read() : createReadStream(disk.path ?? '', { highWaterMark: 4 << 20 }),
          trailer: vhdFooter({ sizeBytes: disk.sizeBytes }),
          ...(signal && { signal }),
        });
        files.push(file);
      }
      const powerOn = request.powerOn !== false;
      // One script converts, attaches, connects the NICs and starts the VM.
      recoveryStep(request, 'attach');
      const [finished] = await invoke<{ state: string }>(
        HYPERV_RECOVERY_FINISH,
        {
          vmId: made.id,
          dir: made.disks,
          disks: files,
          nics,
          powerOn,
          notes: recoveryMark(request.tag, request.pointId, 'ready'),
          // Secure Boot's default template trusts Windows' loader only; a Linux shim needs the UEFI CA's.
          ...(shape.generation === 2 &&
            d.os.family === 'linux' && { secureBootTemplate: 'MicrosoftUEFICertificateAuthority' }),
        },
        signal,
      );
      return {
        machineId: made.id.toLowerCase(),
        name: request.name,
        poweredOn: finished?.state === 'Running',
        notes,
      };
    },

    async listRecovered(tag, options = {}) {
      checkSnapshotTag(tag, { maxLength: 64 });
      const vms = await invoke<Listed>(HYPERV_RECOVERY_LIST, { mark: recoveryMarkLine(tag) }, options.signal);
      return vms.flatMap((vm) => {
        const mark = parseRecoveryMark(vm.notes);
        if (!mark || mark.tag !== tag) return [];
        return [
          {
            machineId: vm.id.toLowerCase(),
            name: vm.name,
            ...(mark.pointId && { pointId: mark.pointId }),
            state: mark.state,
          },
        ];
      });
    },

    async commit(machineId, options = {}) {
      const vm = await ours(machineId, options.signal);
      await invoke(
        HYPERV_RECOVERY_MARK,
        { vmId: machineId, notes: withRecoveryState(vm.notes, 'committed') },
        options.signal,
      );
    },

    async remove(machineId, options = {}) {
      await ours(machineId, options.signal);
      await invoke(HYPERV_RECOVERY_REMOVE, { vmId: machineId }, options.signal);
    },

    async shutdown(machineId, options = {}) {
      const timeoutMs = options.timeoutMs ?? 300_000;
      const [r] = await (await ctx.runner()).invoke<{ how: 'guest' | 'forced' | 'already-off' }>(
        HYPERV_VM_SHUTDOWN,
        { vmId: machineId, timeoutSeconds: Math.ceil(timeoutMs / 1000) },
        { timeoutMs: timeoutMs + 120_000, ...(options.signal && { signal: options.signal }) },
      );
      if (!r?.how) throw new DrkitError('protocol', `shutting ${machineId} down returned nothing`);
      return r.how;
    },

    writeBack: (request) => hypervWriteBack(ctx, request),
  };
}

/**
 * Generation, memory and processors from the point's description, with Hyper-V's own
 * defaults where it recorded none: generation 1 (New-VM's default: it boots a BIOS disk,
 * which a UEFI-only generation 2 VM cannot), 1 GiB, 1 processor — each said in the notes.
 */
function machineShape(
  d: MachineDescription,
  hostProcessors: number,
): { shape: { generation: 1 | 2; memoryBytes: number; cpuCount: number }; notes: string[] } {
  const notes: string[] = [];
  const generation = d.firmware === 'efi' ? 2 : 1;
  if (!d.firmware) notes.push('generation 1 (BIOS): the point did not record the firmware');
  let memoryBytes = d.memoryBytes ?? 1024 ** 3;
  if (d.memoryBytes === undefined) notes.push('1 GiB of memory: the point did not record memory');
  if (memoryBytes % MEMORY_STEP !== 0) {
    memoryBytes = Math.ceil(memoryBytes / MEMORY_STEP) * MEMORY_STEP;
    notes.push(`memory rounded up to ${memoryBytes / 1048576} MiB (Hyper-V takes whole 2 MiB)`);
  }
  let cpuCount = d.cpuCount ?? 1;
  if (d.cpuCount === undefined) notes.push('1 processor: the point did not record a CPU count');
  if (hostProcessors > 0 && cpuCount > hostProcessors) {
    notes.push(`${hostProcessors} processors, the host's all (the point had ${cpuCount})`);
    cpuCount = hostProcessors;
  }
  return { shape: { generation, memoryBytes, cpuCount }, notes };
}
