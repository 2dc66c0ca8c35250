import {
  DrkitError,
  type InventoryItem,
  type PreparedSnapshot,
  type SnapshotOps,
  type TakenSnapshot,
  checkSnapshotTag,
} from '@drkit/core';
import { sharedPowerShell, type PowerShellRunner } from '@drkit/powershell';
import type { HostContext, HostOps } from './host-ops.js';
import { parseWriters } from './vss-output.js';
import { openShadowVolume } from './windows-shadow-source.js';
import { WINDOWS_DISCOVER, WINDOWS_VSS_DELETE, WINDOWS_VSS_LIST, WINDOWS_VSS_TAKE } from './windows-scripts.js';

export interface WindowsFacts {
  hostname: string;
  domain: string;
  uuid: string;
  os: { caption: string; version: string; build: string };
  cpus: number;
  memoryBytes: string;
  disks: Array<{ index: number; deviceId: string; model: string; serial: string; sizeBytes: string }>;
  volumes: Array<{
    deviceId: string;
    driveLetter: string;
    fileSystem: string;
    capacityBytes: string;
    label: string;
  }>;
  nics: Array<{ description: string; mac: string; addresses: string[] }>;
  vss: boolean;
}

const SNAPSHOT_FS = new Set(['NTFS', 'ReFS']);

/**
 * A Windows server through its OpenSSH server and Windows PowerShell: discovery from CIM,
 * app-consistent points as VSS copy-backup shadows with the writers' status reported. VSS
 * freezes, snapshots and thaws in one call, so phases are fused. Each NTFS/ReFS volume with a
 * drive letter is one disk of a point, read from its shadow copy (windows-shadow-source.ts).
 */
export async function connectWindows(ctx: HostContext): Promise<HostOps> {
  const ps = async (): Promise<PowerShellRunner> => sharedPowerShell(await ctx.session());
  const [facts] = await (await ps()).invoke<WindowsFacts>(
    WINDOWS_DISCOVER,
    undefined,
    ctx.signal ? { signal: ctx.signal } : {},
  );
  if (!facts?.uuid) throw new DrkitError('protocol', 'windows.discover returned no machine');
  const machineId = facts.uuid.toLowerCase();
  const wanted = (ctx.options.disks ?? []).map((d) => d.replace(/\\$/, '').toUpperCase());
  const volumes = facts.volumes.filter(
    (v) =>
      /^[A-Z]:$/.test(v.driveLetter) &&
      SNAPSHOT_FS.has(v.fileSystem) &&
      (wanted.length === 0 || wanted.includes(v.driveLetter)),
  );
  for (const w of wanted)
    if (!volumes.some((v) => v.driveLetter === w))
      throw new DrkitError('bad-input', `${w} is not an NTFS or ReFS volume with a drive letter on ${facts.hostname}`);
  const volumeId = (letter: string) => `${machineId}/volume-${letter[0]}`;

  const checkMachine = (id: string) => {
    if (id !== machineId) throw new DrkitError('not-found', `this host is machine ${machineId}, not ${id}`);
  };
  const snapshots: SnapshotOps = {
    async prepare(request): Promise<PreparedSnapshot> {
      checkMachine(request.machineId);
      checkSnapshotTag(request.tag, { maxLength: 200 });
      return { machineId, request, handle: undefined };
    },
    async take(prepared, options = {}): Promise<TakenSnapshot> {
      const requested = prepared.request.consistency;
      const name = `${prepared.request.tag}.${Date.now()}`;
      const discard = async () => (await ps()).invoke(WINDOWS_VSS_DELETE, { name }).catch(() => {});
      const [r] = await (await ps())
        .invoke<{
          exitCode: number;
          diskshadow: string;
          writers: string;
          shadows: Array<{ volume: string; sizeBytes: string }>;
        }>(
          WINDOWS_VSS_TAKE,
          { name, tag: prepared.request.tag, volumes: volumes.map((v) => v.driveLetter), writers: requested === 'app' },
          { ...(options.signal && { signal: options.signal }), timeoutMs: 600_000 },
        )
        .catch(async (error: unknown) => {
          // The set may exist (a shadow made, its length then unreadable): never left behind.
          await discard();
          throw error;
        });
      const shadows = new Map((r?.shadows ?? []).map((s) => [s.volume, Number(s.sizeBytes)]));
      if (r?.exitCode !== 0 || volumes.some((v) => !(shadows.get(v.driveLetter)! > 0))) {
        await discard();
        const tail = (r?.diskshadow ?? '').trim().split(/\r?\n/).slice(-3).join(' ').trim();
        throw new DrkitError(
          'platform',
          `VSS shadow copy failed (diskshadow exit ${r?.exitCode ?? '?'}, ${shadows.size} of ${volumes.length} volumes): ${tail}`,
          { fault: 'VssCreateFailed' },
        );
      }
      const writers = requested === 'app' ? parseWriters(r.writers) : [];
      const failed = writers.filter((w) => w.failed);
      const warnings: string[] = [];
      let achieved = requested;
      if (requested === 'app' && (writers.length === 0 || failed.length > 0)) {
        achieved = 'crash';
        warnings.push(
          writers.length === 0
            ? 'no VSS writer reported its state: the point is crash-consistent'
            : `VSS writers failed: ${failed.map((w) => `${w.name} (${w.state})`).join(', ')} — their applications are only crash-consistent`,
        );
      }
      return {
        id: name,
        machineId,
        takenAt: new Date().toISOString(),
        requested,
        achieved,
        warnings,
        ...(requested === 'app' && { vss: { backupType: 'copy-only' as const, writers } }),
        // The set's name: a later run resyncs against it (there is no change journal to ask).
        changeTokens: Object.fromEntries(volumes.map((v) => [volumeId(v.driveLetter), name])),
        disks: volumes.map((v) => ({
          diskId: volumeId(v.driveLetter),
          name: v.driveLetter,
          sizeBytes: shadows.get(v.driveLetter)!,
        })),
        tag: prepared.request.tag,
      };
    },
    async release() {},
    async delete(snapshot, options = {}) {
      checkMachine(snapshot.machineId);
      await (await ps()).invoke(
        WINDOWS_VSS_DELETE,
        { name: snapshot.id },
        options.signal ? { signal: options.signal } : {},
      );
    },
    async listTagged(tag, options = {}) {
      const entries = await (await ps()).invoke<{ name: string; tag: string; takenAt: string }>(
        WINDOWS_VSS_LIST,
        undefined,
        options.signal ? { signal: options.signal } : {},
      );
      return entries.filter((e) => e.name.startsWith(tag)).map((e) => ({ id: e.name, machineId, takenAt: e.takenAt }));
    },
  };

  return {
    machineId,
    capabilities: {
      apiVersion: facts.os.version,
      discovery: true,
      snapshot: {
        consistency: facts.vss && volumes.length > 0 ? ['crash', 'app'] : [],
        fusedPhases: true,
        mechanisms: facts.vss ? ['vss'] : [],
      },
      replication: { diskRead: true, changeTracking: false, remoteHashing: true },
    },
    site: { product: facts.os.caption, version: facts.os.version, instanceId: machineId },
    inventory: () => windowsInventory(facts, machineId),
    snapshots,
    replication: {
      async openDisk(snapshotId, id, diskId, options = {}) {
        checkMachine(id);
        const volume = volumes.find((v) => volumeId(v.driveLetter) === diskId);
        if (!volume) throw new DrkitError('not-found', `${diskId} is not a volume drkit shadows on ${facts.hostname}`);
        return openShadowVolume(
          { runner: ps, ssh: ctx.session },
          { name: snapshotId, volume: volume.driveLetter, diskId },
          options,
        );
      },
    },
  };
}

function windowsInventory(facts: WindowsFacts, machineId: string): InventoryItem[] {
  const hostId = `host:${machineId}`;
  return [
    {
      kind: 'host',
      host: {
        id: hostId,
        nativeId: machineId,
        name: facts.hostname,
        product: facts.os.caption,
        version: facts.os.version,
        powerState: 'on',
        storageIds: [],
        networkIds: [],
      },
    },
    {
      kind: 'machine',
      machine: {
        id: machineId,
        nativeId: facts.uuid,
        name: facts.hostname,
        powerState: 'on',
        os: { family: 'windows', name: facts.os.caption },
        cpuCount: facts.cpus,
        memoryBytes: Number(facts.memoryBytes),
        hostId,
        disks: facts.disks.map((d) => ({
          id: `${machineId}/disk${d.index}`,
          name: `disk${d.index}`,
          capacityBytes: Number(d.sizeBytes),
          path: d.deviceId,
          provisioning: 'snapshot:vss-volumes',
          changeTracking: false,
        })),
        nics: facts.nics.map((n, i) => ({
          id: `${machineId}/nic${i}`,
          name: n.description,
          ...(n.mac && { macAddress: n.mac.toLowerCase() }),
          addresses: n.addresses,
          connected: true,
        })),
        addresses: facts.nics.flatMap((n) => n.addresses),
        storageIds: [],
        networkIds: [],
      },
    },
  ];
}
