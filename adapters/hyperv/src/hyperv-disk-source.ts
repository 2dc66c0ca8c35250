import { DrkitError, type ChangeSet, type DiskSource, type Extent, type OperationOptions } from '@drkit/core';
import { openPowerShellBlockReader, type PowerShellRunner } from '@drkit/powershell';
import { blockReads, type SshRunner } from '@drkit/ssh';
import { HYPERV_DISK_ATTACH, HYPERV_DISK_DETACH, HYPERV_RCT_CHANGES } from './hyperv-scripts.js';
import type { VmDiskFacts } from './hyperv-types.js';

export interface HyperVDiskContext {
  runner: () => Promise<PowerShellRunner>;
  /** The SSH session the block helper streams over. */
  ssh: () => Promise<SshRunner>;
}

interface Attached {
  device: string;
  sizeBytes: number;
  vhdPath: string;
}

/**
 * One disk of a recovery snapshot, read on the host: the snapshot's virtual hard disk is
 * mounted read-only, the block helper streams its device over the SSH session (and hashes
 * blocks there for a resync), and closing dismounts it — also when opening fails halfway.
 * Changes between snapshots come from RCT: the host asks GetVirtualDiskChanges what changed
 * on this snapshot's disk since the RCT id the previous point's reference point holds. Without
 * an id, or when the host no longer knows it, the run is a resync by checksums computed on the
 * host, so only hashes and differing blocks cross the wire.
 */
export async function openHyperVDisk(
  ctx: HyperVDiskContext,
  target: { vmId: string; snapshotId: string; diskId: string; disk: VmDiskFacts },
  options: OperationOptions = {},
): Promise<DiskSource> {
  const ps = await ctx.runner();
  const { disk } = target;
  const where = {
    vmId: target.vmId,
    snapshotId: target.snapshotId,
    controller: disk.controller,
    controllerNumber: disk.controllerNumber,
    location: disk.location,
  };
  const [attached] = await ps.invoke<Attached>(HYPERV_DISK_ATTACH, where, {
    ...(options.signal && { signal: options.signal }),
    timeoutMs: 10 * 60_000,
  });
  if (!attached?.device || !attached.vhdPath)
    throw new DrkitError('protocol', `mounting ${target.diskId} of snapshot ${target.snapshotId} returned no device`);
  const detach = () => ps.invoke(HYPERV_DISK_DETACH, { vhdPath: attached.vhdPath }, { timeoutMs: 10 * 60_000 });
  const sizeBytes = Number(attached.sizeBytes);
  try {
    if (!(sizeBytes > 0))
      throw new DrkitError('protocol', `${target.diskId}: the host reported a size of ${attached.sizeBytes} bytes`);
    const ssh = await ctx.ssh();
    // One hasher: a read never waits behind the hashes of chunks asked for ahead.
    const reads = await blockReads({
      diskId: target.diskId,
      sizeBytes,
      hashers: 1,
      start: () => openPowerShellBlockReader(ssh, attached.device, { label: `${ssh.where} ${target.diskId}` }),
    });
    let closed = false;
    return {
      diskId: target.diskId,
      sizeBytes,
      async *allocated() {
        yield { offset: 0, length: sizeBytes };
      },
      async changedSince(token, opts = {}): Promise<ChangeSet> {
        if (!token) return { kind: 'unknown', reason: 'no RCT id from the previous point' };
        const [r] = await ps.invoke<{ ranges?: number[]; error?: string | null }>(
          HYPERV_RCT_CHANGES,
          { ...where, rctId: token, sizeBytes },
          { ...(opts.signal && { signal: opts.signal }), timeoutMs: 10 * 60_000 },
        );
        if (!r || r.error || !Array.isArray(r.ranges))
          return { kind: 'unknown', reason: `RCT cannot say what changed since ${token}: ${r?.error || 'no answer'}` };
        // Until a reference point of this snapshot replaces it, the id asked from stays the
        // base: the next run then gets these changes again, plus its own (never fewer).
        return { kind: 'extents', nextToken: token, extents: rctExtents(r.ranges, sizeBytes) };
      },
      read: reads.read,
      hashBlocks: reads.hashBlocks,
      async close() {
        if (closed) return;
        closed = true;
        await reads.close();
        await detach();
      },
    };
  } catch (error) {
    await detach().catch(() => {});
    throw error;
  }
}

/** Offset/length pairs as the host printed them, checked and clipped to the disk. */
async function* rctExtents(pairs: number[], sizeBytes: number): AsyncIterable<Extent> {
  if (pairs.length % 2 !== 0) throw new DrkitError('protocol', 'RCT ranges came back as an odd number of values');
  for (let i = 0; i < pairs.length; i += 2) {
    const offset = Number(pairs[i]);
    const length = Math.min(Number(pairs[i + 1]), sizeBytes - offset);
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length))
      throw new DrkitError('protocol', `RCT range ${pairs[i]}+${pairs[i + 1]} is not a range of this disk`);
    if (length > 0) yield { offset, length };
  }
}
