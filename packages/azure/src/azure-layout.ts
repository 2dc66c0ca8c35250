import type { AzureLocation } from './azure-location.js';

/**
 * Blob names of a store under its prefix:
 * - `store.json` — format and block size;
 * - `lock` — an empty blob a writing run leases;
 * - `run.json` — the intent of the run in progress (absent between runs);
 * - `points/<seq>-<id>.json` — one manifest per point, written once the point's snapshots exist;
 * - `disks/<key>/disk.vhd` — the replica: a page blob holding a fixed VHD (raw disk, size
 *   rounded up to 1 MiB, then the 512-byte footer); each point is a snapshot of it;
 * - `disks/<key>/map` and `disks/<key>/log-<n>` — the per-block checksum map of the
 *   replica: a full copy (block blob) plus append-blob logs of what changed since;
 * - `recovered/<point>/<machine>/<disk>.vhd` — standalone copies made for a failover.
 */
export class AzureLayout {
  constructor(private readonly location: AzureLocation) {}
  get prefix(): string {
    return this.location.prefix;
  }
  get config(): string {
    return `${this.prefix}store.json`;
  }
  get lock(): string {
    return `${this.prefix}lock`;
  }
  get intent(): string {
    return `${this.prefix}run.json`;
  }
  get points(): string {
    return `${this.prefix}points/`;
  }
  point(seq: number, id: string): string {
    return `${this.points}${String(seq).padStart(10, '0')}-${id}.json`;
  }
  get disks(): string {
    return `${this.prefix}disks/`;
  }
  disk(key: string): string {
    return `${this.disks}${key}/`;
  }
  replica(key: string): string {
    return `${this.disk(key)}disk.vhd`;
  }
  map(key: string): string {
    return `${this.disk(key)}map`;
  }
  logPrefix(key: string): string {
    return `${this.disk(key)}log-`;
  }
  log(key: string, n: number): string {
    return `${this.logPrefix(key)}${String(n).padStart(6, '0')}`;
  }
  recovered(pointId: string, machine: string, disk: string): string {
    return `${this.prefix}recovered/${pointId}/${machine}/${disk}.vhd`;
  }
}
