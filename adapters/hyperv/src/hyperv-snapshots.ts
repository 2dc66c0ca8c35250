import {
  DrkitError,
  type PreparedSnapshot,
  type SnapshotOps,
  type SnapshotRequest,
  type TakenSnapshot,
  checkSnapshotTag,
} from '@drkit/core';
import { groupWarmer, type PowerShellRunner } from '@drkit/powershell';
import { achievedConsistency } from './hyperv-consistency.js';
import { diskId } from './hyperv-inventory.js';
import { HYPERV_SNAPSHOT_DELETE, HYPERV_SNAPSHOT_LIST, HYPERV_SNAPSHOT_TAKE } from './hyperv-scripts.js';
import type { ListedSnapshot, TakeResult, VmFacts } from './hyperv-types.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface HyperVSnapshotContext {
  runner: () => Promise<PowerShellRunner>;
  /** The VM as last discovered (refreshed when unknown). */
  vm: (machineId: string, signal?: AbortSignal) => Promise<VmFacts>;
}

/**
 * Hyper-V fuses freeze, snapshot and thaw into one WMI call, so prepare and release do
 * nothing and take does it all; the coordinator reports per-member consistency for it.
 */
export function hypervSnapshotOps(ctx: HyperVSnapshotContext): SnapshotOps {
  const checkTag = (tag: string) => checkSnapshotTag(tag, { maxLength: 100 });
  const checkVm = (machineId: string) => {
    if (!GUID.test(machineId)) throw new DrkitError('not-found', `${machineId} is not a Hyper-V VM id`);
    return machineId.toLowerCase();
  };
  const warmer = groupWarmer(ctx.runner);
  return {
    async prepare(request: SnapshotRequest): Promise<PreparedSnapshot> {
      checkTag(request.tag);
      const vm = await ctx.vm(checkVm(request.machineId), request.signal);
      const prepared = { machineId: vm.id.toLowerCase(), request, handle: vm };
      await warmer.prepared(prepared);
      return prepared;
    },

    async take(prepared, options = {}): Promise<TakenSnapshot> {
      warmer.done(prepared);
      const vm = prepared.handle as VmFacts;
      const { consistency, tag } = prepared.request;
      const [r] = await (await ctx.runner()).invoke<TakeResult>(
        HYPERV_SNAPSHOT_TAKE,
        { vmId: vm.id, tag, level: consistency === 'app' ? 1 : 2 },
        { ...(options.signal && { signal: options.signal }), timeoutMs: 30 * 60_000 },
      );
      if (!r?.snapshotId) throw new DrkitError('protocol', `the snapshot of ${vm.name} came back without an id`);
      const { achieved, warnings } = achievedConsistency(consistency, r);
      return {
        id: r.snapshotId,
        machineId: prepared.machineId,
        takenAt: r.created ?? new Date().toISOString(),
        requested: consistency,
        achieved,
        warnings,
        // RCT ids come from the reference point this snapshot becomes once read (hyperv-reference-points.ts).
        changeTokens: {},
        disks: vm.disks
          .filter((d) => d.vhd)
          .map((d) => ({
            diskId: diskId(prepared.machineId, d),
            name: `${d.controller} ${d.controllerNumber}:${d.location}`,
            sizeBytes: d.vhd!.sizeBytes,
          })),
        tag,
      };
    },

    async release(prepared) {
      warmer.done(prepared);
    },

    async delete(snapshot, options = {}) {
      checkVm(snapshot.machineId);
      await (await ctx.runner()).invoke(
        HYPERV_SNAPSHOT_DELETE,
        { snapshotId: snapshot.id },
        { ...(options.signal && { signal: options.signal }), timeoutMs: 30 * 60_000 },
      );
    },

    async listTagged(tag, options = {}) {
      const listed = await (await ctx.runner()).invoke<ListedSnapshot>(
        HYPERV_SNAPSHOT_LIST,
        { prefix: checkTag(tag) },
        options.signal ? { signal: options.signal } : {},
      );
      return listed
        .filter((s) => s.name === tag)
        .map((s) => ({ id: s.snapshotId, machineId: s.vmId.toLowerCase(), takenAt: s.created ?? '' }));
    },
  };
}
