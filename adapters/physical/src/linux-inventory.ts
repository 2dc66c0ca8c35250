import { normalizeWwn, type InventoryItem } from '@drkit/core';
import type { LinuxDisk } from './linux-disks.js';
import type { LinuxFacts } from './linux-facts.js';

/** A Linux server is both the host and the one machine on it. */
export function linuxInventory(facts: LinuxFacts, disks: LinuxDisk[]): InventoryItem[] {
  const nics = facts.interfaces.filter((i) => i.mac);
  const addresses = facts.interfaces.filter((i) => i.name !== 'lo').flatMap((i) => i.addresses);
  const osName = facts.os.PRETTY_NAME ?? facts.os.NAME;
  const storage = facts.filesystems.map((f) => ({ id: `${facts.machineId}/fs:${f.target}`, fs: f }));
  return [
    ...storage.map(
      ({ id, fs }): InventoryItem => ({
        kind: 'storage',
        storage: {
          id,
          nativeId: fs.source,
          name: fs.target,
          type: fs.fstype,
          ...(fs.sizeBytes !== undefined && { capacityBytes: fs.sizeBytes }),
          ...(fs.availBytes !== undefined && { freeBytes: fs.availBytes }),
          accessible: true,
        },
      }),
    ),
    {
      kind: 'host',
      host: {
        id: `host:${facts.machineId}`,
        nativeId: facts.machineId,
        name: facts.hostname,
        product: facts.kernel,
        version: facts.os.VERSION_ID,
        powerState: 'on',
        storageIds: storage.map((s) => s.id),
        networkIds: [],
      },
    },
    {
      kind: 'machine',
      machine: {
        id: facts.machineId,
        nativeId: facts.machineId,
        name: facts.hostname,
        powerState: 'on',
        os: { family: 'linux', ...(osName && { name: osName }) },
        ...(facts.cpuCount !== undefined && { cpuCount: facts.cpuCount }),
        ...(facts.memoryBytes !== undefined && { memoryBytes: facts.memoryBytes }),
        hostId: `host:${facts.machineId}`,
        disks: disks.map((d) => ({
          id: d.id,
          name: d.device.kname,
          capacityBytes: d.device.sizeBytes,
          path: d.device.path,
          provisioning: d.mechanism.kind === 'none' ? 'no-snapshot' : `snapshot:${d.mechanism.kind}`,
          changeTracking: d.mechanism.kind !== 'none',
          ...(normalizeWwn(d.device.wwn) && { wwn: normalizeWwn(d.device.wwn) }),
        })),
        nics: nics.map((i) => ({
          id: `${facts.machineId}/${i.name}`,
          name: i.name,
          macAddress: i.mac!,
          addresses: i.addresses,
          connected: i.up,
        })),
        addresses,
        storageIds: storage.map((s) => s.id),
        networkIds: [],
      },
    },
  ];
}
