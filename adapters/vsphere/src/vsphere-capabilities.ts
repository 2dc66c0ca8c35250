import type { Capabilities } from '@drkit/core';
import type { ServiceContent } from './vsphere-service-content.js';

/**
 * Capabilities from what the endpoint says of itself. Snapshots and disk replication are
 * not implemented in this adapter yet, so they are declared absent and refused with
 * UnsupportedError — declared honestly rather than promised.
 */
export function probeCapabilities(content: ServiceContent): Capabilities {
  return {
    apiVersion: content.about.apiVersion,
    discovery: true,
    snapshot: { consistency: [], fusedPhases: true, mechanisms: [] },
    replication: { diskRead: false, changeTracking: false, remoteHashing: false },
  };
}
