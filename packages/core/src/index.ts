// The spec (interface, types, errors, defineAdapter) re-exported: importing @drkit/core gives both.
export * from '@drkit/spec';
export * from './retry.js';
export { processAlive } from './process-alive.js';
export * from './wwn.js';
export * from './collect-inventory.js';
export * from './group/group-point.js';
export * from './group/group-coordinator.js';
export * from './store/target-store.js';
export * from './store/target-definition.js';
export { dirTarget } from './store/dir-target.js';
export * from './store/point-manifest.js';
export { openDirStore, DirStore, type DirStoreOptions } from './store/dir-store.js';
export { diskKey } from './store/store-layout.js';
export {
  DEFAULT_BLOCK_SIZE,
  HASH_BYTES,
  ZERO_ENTRY,
  blockHash,
  blockHashes,
  isZero,
  isZeroRange,
} from './store/block-hash.js';
export { BlockMap, mapRootDigest } from './store/block-map.js';
export { latestWith } from './store/dir-store-run.js';
export { isSafeName } from './store/store-names.js';
export * from './store/restore-output.js';
export * from './disk-format/vhd-footer.js';
export * from './disk-format/image-convert.js';
export { ownedBuffer } from './store/hash-pool.js';
export { inParallel } from './store/in-parallel.js';
export * from './replication/disk-replicator.js';
export * from './replication/replicate-group.js';
export { RateLimiter } from './replication/rate-limiter.js';
export * from './policy/replication-policy.js';
export * from './policy/replication-scheduler.js';
export { createReferenceAdapter, type ReferenceAdapterOptions } from './reference/reference-adapter.js';
export { writeTracked } from './reference/reference-change-log.js';
export type { Fault, FaultPhase } from './reference/reference-faults.js';
export type { MachineConfig } from './reference/reference-site.js';
export { referenceAdapter } from './reference/reference-definition.js';
export { choosePoint } from './recovery/choose-point.js';
export { mappedNetworks } from './recovery/mapped-networks.js';
export { parseRecoveryMark, recoveryMark, recoveryMarkLine, withRecoveryState } from './recovery/recovery-mark.js';
export { writeBack, type WritableDisk, type WriteBackCounts } from './replication/write-back.js';
export { maskUnallocated, ALLOCATION_GRANULARITY } from './replication/allocation-mask.js';
