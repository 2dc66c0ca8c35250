import type { Capabilities } from '@drkit/core';
import type { ServiceContent } from './vsphere-service-content.js';

/**
 * Capabilities from what the endpoint says of itself. vSphere snapshots quiesce, snapshot
 * and release in one task (fused); disks are read over datastore HTTP. Changed-block
 * tracking is not queried yet, so change sets are `unknown` and deltas resync by checksums.
 */
export function probeCapabilities(content: ServiceContent): Capabilities {
  return {
    apiVersion: content.about.apiVersion,
    discovery: true,
    snapshot: { consistency: ['crash', 'app'], fusedPhases: true, mechanisms: ['vmware-snapshot'] },
    replication: { diskRead: true, changeTracking: false, remoteHashing: false },
  };
}
