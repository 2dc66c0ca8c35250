import type { Capabilities } from '@drkit/core';
import type { ServiceContent } from './vsphere-service-content.js';

/**
 * Capabilities from what the endpoint says of itself. vSphere snapshots quiesce, snapshot
 * and release in one task (fused); disks are read over datastore HTTP; changed areas come
 * from CBT where a disk has it, and are `unknown` (a resync by checksums) where it has not.
 */
export function probeCapabilities(content: ServiceContent): Capabilities {
  return {
    apiVersion: content.about.apiVersion,
    discovery: true,
    snapshot: { consistency: ['crash', 'app'], fusedPhases: true, mechanisms: ['vmware-snapshot'] },
    replication: { diskRead: true, changeTracking: true, remoteHashing: false },
  };
}
