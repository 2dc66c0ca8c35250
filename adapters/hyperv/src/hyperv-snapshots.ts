import { DrkitError, type PreparedSnapshot, type SnapshotOps, type SnapshotRequest, type TakenSnapshot } from '@drkit/core';
import type { PowerShellRunner } from '@drkit/powershell';
import { achievedConsistency } from './hyperv-consistency.js';
import { diskId } from './hyperv-inventory.js';
import { HYPERV_RCT_IDS, HYPERV_SNAPSHOT_DELETE, HYPERV_SNAPSHOT_LIST, HYPERV_SNAPSHOT_TAKE } from './hyperv-scripts.js';
import type { ListedSnapshot, TakeResult, VmFacts } from './hyperv-types.js';

const TAG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface HyperVSnapshotContext {
  runner: () => Promise<PowerShellRunner>;
  /** The VM as last discovered (refreshed when unknown). */
  vm: (machineId: string, signal?: AbortSignal) => Promise<VmFacts>;
  /** Whether to read each snapshot disk's RCT id as its change token (disk reads over SSH, Windows Server 2016+). */
  changeTracking: () => boolean;
}

/**
 * Hyper-V fuses freeze, snapshot and thaw into one WMI call, so prepare and release do
 * nothing and take does it all; the coordinator reports per-member consistency for it.
 */
export function hypervSnapshotOps(ctx: HyperVSnapshotContext): SnapshotOps {
  const checkTag = (tag: string) => {
    if (!TAG.test(tag)) throw new DrkitError('bad-input', `snapshot tag ${JSON.stringify(tag)}: letters, digits, '.', '_' and '-', at most 100`);
    return tag;
  };
  const checkVm = (machineId: string) => {
    if (!GUID.test(machineId)) throw new DrkitError('not-found', `${machineId} is not a Hyper-V VM id`);
    return machineId.toLowerCase();
  };
  return {
    async prepare(request: SnapshotRequest): Promise<PreparedSnapshot> {
      checkTag(request.tag);
      const vm = await ctx.vm(checkVm(request.machineId), request.signal);
      return { machineId: vm.id.toLowerCase(), request, handle: vm };
    },

    async take(prepared, options = {}): Promise<TakenSnapshot> {
      const vm = prepared.handle as VmFacts;
      const { consistency, tag } = prepared.request;
      const [r] = await (await ctx.runner()).invoke<TakeResult>(HYPERV_SNAPSHOT_TAKE, { vmId: vm.id, tag, level: consistency === 'app' ? 1 : 2 }, { ...(options.signal && { signal: options.signal }), timeoutMs: 30 * 60_000 });
      if (!r?.snapshotId) throw new DrkitError('protocol', `the snapshot of ${vm.name} came back without an id`);
      const { achieved, warnings } = achievedConsistency(consistency, r);
      const changeTokens = ctx.changeTracking() ? await rctTokens(await ctx.runner(), prepared.machineId, vm, r.snapshotId, warnings, options.signal) : {};
      return {
        id: r.snapshotId,
        machineId: prepared.machineId,
        takenAt: r.created ?? new Date().toISOString(),
        requested: consistency,
        achieved,
        warnings,
        changeTokens,
        disks: vm.disks.filter((d) => d.vhd).map((d) => ({ diskId: diskId(prepared.machineId, d), name: `${d.controller} ${d.controllerNumber}:${d.location}`, sizeBytes: d.vhd!.sizeBytes })),
        tag,
      };
    },

    async release() {},

    async delete(snapshot, options = {}) {
      checkVm(snapshot.machineId);
      await (await ctx.runner()).invoke(HYPERV_SNAPSHOT_DELETE, { snapshotId: snapshot.id }, { ...(options.signal && { signal: options.signal }), timeoutMs: 30 * 60_000 });
    },

    async listTagged(tag, options = {}) {
      const listed = await (await ctx.runner()).invoke<ListedSnapshot>(HYPERV_SNAPSHOT_LIST, { prefix: checkTag(tag) }, options.signal ? { signal: options.signal } : {});
      return listed.filter((s) => s.name === tag).map((s) => ({ id: s.snapshotId, machineId: s.vmId.toLowerCase(), takenAt: s.created ?? '' }));
    },
  };
}

interface RctId {
  controller: string;
  controllerNumber: number;
  location: number;
  rctId: string | null;
  error: string | null;
}

/** Each snapshot disk's RCT id, keyed by disk id; a disk without one resyncs next time, and says why. */
async function rctTokens(runner: PowerShellRunner, machineId: string, vm: VmFacts, snapshotId: string, warnings: string[], signal?: AbortSignal): Promise<Record<string, string>> {
  const tokens: Record<string, string> = {};
  try {
    for (const d of await runner.invoke<RctId>(HYPERV_RCT_IDS, { vmId: vm.id, snapshotId }, { ...(signal && { signal }), timeoutMs: 10 * 60_000 })) {
      if (d.rctId) tokens[diskId(machineId, d)] = d.rctId;
      else warnings.push(`${vm.name} ${d.controller} ${d.controllerNumber}:${d.location}: no RCT id (${d.error ?? 'change tracking is off for this disk'}); its next replication resyncs by checksums`);
    }
  } catch (error) {
    warnings.push(`${vm.name}: the RCT ids could not be read (${(error as Error).message}); the next replication resyncs by checksums`);
  }
  return tokens;
}
