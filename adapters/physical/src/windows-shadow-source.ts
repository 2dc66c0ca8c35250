import { DrkitError, maskUnallocated, type DiskSource, type Extent, type OperationOptions } from '@drkit/core';
import { openPowerShellBlockReader, type PowerShellRunner } from '@drkit/powershell';
import { blockReads, type SshRunner } from '@drkit/ssh';
import { WINDOWS_SHADOW_OPEN } from './windows-scripts.js';

interface OpenedShadow {
  error?: string;
  device?: string;
  sizeBytes?: string;
  clusterBytes?: string;
  clusters?: string;
  runs?: string;
  bitmapError?: string;
}

export interface ShadowTarget {
  /** drkit's name for the shadow set (the snapshot id). */
  name: string;
  /** The drive letter, `C:`. */
  volume: string;
  diskId: string;
}

const RESYNC_REASON =
  'Windows keeps no change journal drkit reads: every run after the first is a resync by checksums computed on the host';

/**
 * One volume of a VSS shadow set, read over SSH: the shadow copy's device
 * (`\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopyN`) is streamed by the same C# block helper
 * Hyper-V uses, and a resync asks it for block hashes, so only hashes and differing blocks
 * cross the wire. Only clusters the shadow's file system uses are ever read: free space is
 * zeros in every point (see maskUnallocated).
 */
export async function openShadowVolume(
  ctx: { runner: () => Promise<PowerShellRunner>; ssh: () => Promise<SshRunner> },
  target: ShadowTarget,
  options: OperationOptions = {},
): Promise<DiskSource> {
  const [opened] = await (await ctx.runner()).invoke<OpenedShadow>(
    WINDOWS_SHADOW_OPEN,
    { name: target.name, volume: target.volume },
    { ...(options.signal && { signal: options.signal }), timeoutMs: 10 * 60_000 },
  );
  if (!opened || opened.error || !opened.device)
    throw new DrkitError('not-found', `${target.diskId}: ${opened?.error ?? 'the host opened no shadow copy'}`);
  const sizeBytes = Number(opened.sizeBytes);
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0)
    throw new DrkitError('protocol', `${target.diskId}: the host reported a size of ${opened.sizeBytes} bytes`);
  const ssh = await ctx.ssh();
  const device = opened.device;
  const reads = await blockReads({
    diskId: target.diskId,
    sizeBytes,
    hashers: 1,
    start: () => openPowerShellBlockReader(ssh, device, { label: `${ssh.where} ${target.diskId}` }),
  });
  const used = opened.runs !== undefined ? clustersInUse(opened, sizeBytes, target.diskId) : undefined;
  const reason = used ? RESYNC_REASON : `${RESYNC_REASON}; free space unknown (${opened.bitmapError}), read whole`;
  const source: DiskSource = {
    diskId: target.diskId,
    sizeBytes,
    async *allocated() {
      yield { offset: 0, length: sizeBytes };
    },
    async changedSince() {
      return { kind: 'unknown', reason };
    },
    read: reads.read,
    hashBlocks: reads.hashBlocks,
    close: reads.close,
  };
  return used ? maskUnallocated(source, used) : source;
}

/**
 * The runs the host packed (first cluster, count; little-endian 64-bit) as byte extents,
 * plus whatever lies past the last cluster: NTFS keeps its boot sector's copy there.
 */
export function clustersInUse(opened: OpenedShadow, sizeBytes: number, diskId: string): Extent[] {
  const cluster = Number(opened.clusterBytes);
  const clusters = Number(opened.clusters);
  const packed = Buffer.from(opened.runs ?? '', 'base64');
  if (!(cluster > 0) || cluster % 512 !== 0 || !Number.isSafeInteger(clusters) || packed.length % 16 !== 0)
    throw new DrkitError('protocol', `${diskId}: the volume bitmap came back malformed`);
  const covered = clusters * cluster;
  if (covered > sizeBytes)
    throw new DrkitError(
      'protocol',
      `${diskId}: ${clusters} clusters of ${cluster} bytes overrun the ${sizeBytes}-byte volume`,
    );
  const out: Extent[] = [];
  for (let i = 0; i < packed.length; i += 16) {
    const first = Number(packed.readBigInt64LE(i));
    const count = Number(packed.readBigInt64LE(i + 8));
    if (first < 0 || count <= 0 || first + count > clusters)
      throw new DrkitError('protocol', `${diskId}: cluster run ${first}+${count} is outside the volume`);
    out.push({ offset: first * cluster, length: count * cluster });
  }
  if (covered < sizeBytes) out.push({ offset: covered, length: sizeBytes - covered });
  return out;
}
