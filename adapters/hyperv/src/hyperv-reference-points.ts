import { DrkitError, type ChangeAnchor, type OperationOptions, type TakenSnapshot } from '@drkit/core';
import type { PowerShellRunner } from '@drkit/powershell';
import { diskId } from './hyperv-inventory.js';
import { HYPERV_REFERENCE_POINT, HYPERV_REFERENCE_RELEASE } from './hyperv-scripts.js';

/** Msvm_VirtualSystemReferencePoint.ReferencePointType: 1 log based (Hyper-V Replica), 2 RCT based. */
const RCT_BASED = 2;

interface ReferencePoint {
  referencePoint: string;
  type: number;
  disks: Array<{
    virtualDisk: string;
    rctId: string | null;
    controller: string | null;
    controllerNumber: number | null;
    location: number | null;
  }>;
}

export interface HyperVAnchorContext {
  runner: () => Promise<PowerShellRunner>;
  /** RCT is there (Windows Server 2016+) and disks are read over SSH. */
  changeTracking: () => boolean;
}

/**
 * RCT reference points, as Hyper-V backup is meant to keep change tracking: once a run has
 * read a recovery snapshot, the snapshot becomes a reference point, whose RCT id per disk the
 * next run asks the changes from. The previous point's reference point goes once a newer one
 * is committed; one whose ids drkit never recorded is never touched.
 */
export function hypervChangeAnchors(ctx: HyperVAnchorContext) {
  return {
    async anchorChanges(snapshot: TakenSnapshot, options: OperationOptions = {}): Promise<ChangeAnchor> {
      if (!ctx.changeTracking()) return { changeTokens: {}, warnings: [] };
      const [r] = await (await ctx.runner()).invoke<ReferencePoint>(
        HYPERV_REFERENCE_POINT,
        { vmId: snapshot.machineId, snapshotId: snapshot.id },
        { ...(options.signal && { signal: options.signal }), timeoutMs: 30 * 60_000 },
      );
      if (!r?.referencePoint) throw new DrkitError('protocol', `converting ${snapshot.id} returned no reference point`);
      if (r.type !== RCT_BASED)
        return {
          changeTokens: {},
          warnings: [
            `reference point ${r.referencePoint} is not RCT based (type ${r.type}); the next run resyncs by checksums`,
          ],
        };
      const changeTokens: Record<string, string> = {};
      const warnings: string[] = [];
      const seen = new Set<string>();
      for (const d of r.disks) {
        if (d.controller === null || d.controllerNumber === null || d.location === null) {
          warnings.push(
            `RCT id of virtual disk ${d.virtualDisk} matches no drive of the VM; that disk's next run resyncs by checksums`,
          );
          continue;
        }
        const id = diskId(snapshot.machineId, {
          controller: d.controller,
          controllerNumber: d.controllerNumber,
          location: d.location,
        });
        seen.add(id);
        if (d.rctId) changeTokens[id] = d.rctId;
        else
          warnings.push(
            `${d.controller} ${d.controllerNumber}:${d.location} has no RCT id in reference point ${r.referencePoint}; its next run resyncs by checksums`,
          );
      }
      for (const disk of snapshot.disks) {
        if (!seen.has(disk.diskId))
          warnings.push(
            `${disk.name} is not in reference point ${r.referencePoint}; its next run resyncs by checksums`,
          );
      }
      return { changeTokens, warnings };
    },

    async releaseChanges(machineId: string, tokens: string[], options: OperationOptions = {}): Promise<void> {
      await (await ctx.runner()).invoke(
        HYPERV_REFERENCE_RELEASE,
        { vmId: machineId, rctIds: tokens },
        { ...(options.signal && { signal: options.signal }), timeoutMs: 30 * 60_000 },
      );
    },
  };
}
