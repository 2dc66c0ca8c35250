import { UnsupportedError } from './errors.js';
import type { SnapshotOps } from './snapshot.js';
import type { ReplicationOps } from './disk-source.js';

/** Snapshot operations for an adapter that declares none: every call is a typed refusal. */
export function unsupportedSnapshots(adapter: string): SnapshotOps {
  const refuse = async (): Promise<never> => {
    throw new UnsupportedError('snapshot', `${adapter}: snapshots are not supported by this adapter yet`);
  };
  return { prepare: refuse, take: refuse, release: refuse, delete: refuse, listTagged: refuse };
}

export function unsupportedReplication(adapter: string): ReplicationOps {
  return {
    openDisk: async () => {
      throw new UnsupportedError('replication', `${adapter}: disk replication is not supported by this adapter yet`);
    },
  };
}
