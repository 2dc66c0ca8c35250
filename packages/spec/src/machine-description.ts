import type { Machine, Network, OsFamily } from './inventory.js';

/**
 * What a recovery needs to rebuild a machine, as discovery saw it when the point was taken:
 * kept on each member of a point manifest. Absent fields were not reported by the platform;
 * a recovery uses documented defaults for them and says so.
 */
export interface MachineDescription {
  cpuCount?: number;
  memoryBytes?: number;
  /** Absent: the platform did not say; a recovery then uses its own default and says so. */
  firmware?: 'bios' | 'efi';
  os: { family: OsFamily; name?: string };
  disks: Array<{ diskId: string; name: string; capacityBytes: number }>;
  /** NICs in order, with the network each was on (by name: what a network map matches). */
  nics: Array<{ name: string; network?: string; macAddress?: string }>;
}

export function describeMachine(machine: Machine, networks: readonly Network[] = []): MachineDescription {
  return {
    ...(machine.cpuCount !== undefined && { cpuCount: machine.cpuCount }),
    ...(machine.memoryBytes !== undefined && { memoryBytes: machine.memoryBytes }),
    ...(machine.firmware && { firmware: machine.firmware }),
    os: { ...machine.os },
    disks: machine.disks.map((d) => ({ diskId: d.id, name: d.name, capacityBytes: d.capacityBytes })),
    nics: machine.nics.map((n) => {
      const network = networks.find((x) => x.id === n.networkId)?.name ?? n.networkId;
      return { name: n.name, ...(network && { network }), ...(n.macAddress && { macAddress: n.macAddress }) };
    }),
  };
}
