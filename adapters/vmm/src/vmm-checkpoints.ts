import {
  DrkitError,
  type Consistency,
  type PreparedSnapshot,
  type SnapshotOps,
  type SnapshotRequest,
  type TakenSnapshot,
  checkSnapshotTag,
} from '@drkit/core';
import { groupWarmer, type PowerShellRunner } from '@drkit/powershell';
import { VMM_CHECKPOINT_DELETE, VMM_CHECKPOINT_LIST, VMM_CHECKPOINT_TAKE } from './vmm-scripts.js';
import { machineIdOf } from './vmm-inventory.js';
import type { CheckpointFacts, VmmVm } from './vmm-types.js';

export interface VmmCheckpointContext {
  /** Runs one VMM script with the connection settings added to its input. */
  invoke: <T>(op: typeof VMM_CHECKPOINT_TAKE, input: Record<string, unknown>, signal?: AbortSignal) => Promise<T[]>;
  vm: (machineId: string, signal?: AbortSignal) => Promise<VmmVm>;
  vmByVmmId: (vmmId: string) => VmmVm | undefined;
  /** The server's PowerShell, for starting a group's sessions before its takes. */
  runner: () => Promise<PowerShellRunner>;
}

/**
 * VMM checkpoints (New-SCVMCheckpoint, followed as a VMM job). The checkpoint follows the
 * VM's checkpoint type, and VMM does not report a production checkpoint that fell back to a
 * standard one — so only ProductionOnly (which fails instead of falling back) on a running VM
 * is claimed app-consistent.
 */
export function vmmCheckpointOps(ctx: VmmCheckpointContext): SnapshotOps {
  const checkTag = (tag: string) => checkSnapshotTag(tag, { maxLength: 100 });
  const warmer = groupWarmer(ctx.runner);
  return {
    async prepare(request: SnapshotRequest): Promise<PreparedSnapshot> {
      checkTag(request.tag);
      const prepared = {
        machineId: request.machineId,
        request,
        handle: await ctx.vm(request.machineId, request.signal),
      };
      await warmer.prepared(prepared);
      return prepared;
    },
    async take(prepared, options = {}): Promise<TakenSnapshot> {
      warmer.done(prepared);
      const vm = prepared.handle as VmmVm;
      const [cp] = await ctx.invoke<CheckpointFacts>(
        VMM_CHECKPOINT_TAKE,
        { vmmId: vm.id, tag: prepared.request.tag },
        options.signal,
      );
      if (!cp?.id) throw new DrkitError('protocol', `VMM made no checkpoint of ${vm.name} that it lists`);
      const { achieved, warnings } = achievedOf(prepared.request.consistency, cp);
      return {
        id: cp.id,
        machineId: prepared.machineId,
        takenAt: cp.created ?? new Date().toISOString(),
        requested: prepared.request.consistency,
        achieved,
        warnings,
        changeTokens: {},
        disks: vm.disks.map((d) => ({
          diskId: `${machineIdOf(vm)}/${d.bus.toLowerCase()}-${d.busNumber}-${d.lun}`,
          name: `${d.bus} ${d.busNumber}:${d.lun}`,
          sizeBytes: d.sizeBytes,
        })),
        tag: prepared.request.tag,
      };
    },
    async release(prepared) {
      warmer.done(prepared);
    },
    async delete(snapshot, options = {}) {
      const vm = await ctx.vm(snapshot.machineId, options.signal);
      await ctx.invoke(VMM_CHECKPOINT_DELETE, { vmmId: vm.id, checkpointId: snapshot.id }, options.signal);
    },
    async listTagged(tag, options = {}) {
      const listed = await ctx.invoke<{ id: string; vmmId: string; name: string; created: string | null }>(
        VMM_CHECKPOINT_LIST,
        { tag: checkTag(tag) },
        options.signal,
      );
      return listed
        .filter((c) => c.name === tag)
        .map((c) => {
          const vm = ctx.vmByVmmId(c.vmmId);
          return { id: c.id, machineId: vm ? machineIdOf(vm) : c.vmmId.toLowerCase(), takenAt: c.created ?? '' };
        });
    },
  };
}

function achievedOf(requested: Consistency, cp: CheckpointFacts): { achieved: Consistency; warnings: string[] } {
  if (requested === 'crash') return { achieved: 'crash', warnings: [] };
  if (cp.status !== 'Running')
    return { achieved: 'crash', warnings: [`the VM was ${cp.status}, so no guest could be quiesced`] };
  if (cp.checkpointType === 'ProductionOnly') return { achieved: 'app', warnings: [] };
  const why =
    cp.checkpointType === 'Production'
      ? 'the VM takes production checkpoints that may silently become standard ones, and VMM does not say which it got; set its checkpoint type to ProductionOnly for points that fail instead'
      : `the VM's checkpoint type is ${cp.checkpointType || 'unknown'}: not a production checkpoint`;
  return { achieved: 'crash', warnings: [why, 'the checkpoint is counted crash-consistent'] };
}
