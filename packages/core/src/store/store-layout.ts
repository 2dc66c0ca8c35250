import { createHash } from 'node:crypto';
import { join } from 'node:path';

/**
 * The `dir:` store on disk:
 *   store.json                       format and block size
 *   disks/<key>/replica.img          newest point of the disk (sparse raw)
 *   disks/<key>/blocks.map           per-block SHA-256 of the replica
 *   disks/<key>/blocks.crc           per-block CRC-32 of the replica (fast read-back checks)
 *   disks/<key>/seal.json            the three files' identity when last known whole
 *   points/<seq>-<id>.json           one manifest per recovery point
 *   journals/<point id>/<key>.undo   what the next run overwrote: replica → this point
 *   staging/<key>.undo               the running run's undo journal
 *   run.json                         the running run's intent (present only mid-run)
 *   lock                             the pid holding the store (the lock itself: store-lock.ts)
 */
export class StoreLayout {
  constructor(readonly root: string) {}
  get config() {
    return join(this.root, 'store.json');
  }
  get lock() {
    return join(this.root, 'lock');
  }
  get intent() {
    return join(this.root, 'run.json');
  }
  get points() {
    return join(this.root, 'points');
  }
  get staging() {
    return join(this.root, 'staging');
  }
  disk(key: string) {
    return join(this.root, 'disks', key);
  }
  replica(key: string) {
    return join(this.disk(key), 'replica.img');
  }
  map(key: string) {
    return join(this.disk(key), 'blocks.map');
  }
  crc(key: string) {
    return join(this.disk(key), 'blocks.crc');
  }
  seal(key: string) {
    return join(this.disk(key), 'seal.json');
  }
  stagedUndo(key: string) {
    return join(this.staging, `${key}.undo`);
  }
  get journals() {
    return join(this.root, 'journals');
  }
  journalDir(pointId: string) {
    return join(this.journals, pointId);
  }
  journal(pointId: string, key: string) {
    return join(this.journalDir(pointId), `${key}.undo`);
  }
  point(seq: number, id: string) {
    return join(this.points, `${String(seq).padStart(8, '0')}-${id}.json`);
  }
}

/**
 * A file-name-safe, stable key for a machine's disk. `site` names where the machine lives
 * (an adapter's endpoint): `web/os` of two sites must not share one replica.
 */
export function diskKey(machineId: string, diskId: string, site = ''): string {
  const slug = `${machineId}-${diskId}`
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(-48);
  const identity = site ? `${site}\u0000${machineId}\u0000${diskId}` : `${machineId}\u0000${diskId}`;
  const h = createHash('sha256').update(identity).digest('hex').slice(0, 12);
  return `${slug ? `${slug}-` : ''}${h}`;
}
