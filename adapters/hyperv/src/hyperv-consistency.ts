import type { Consistency } from '@drkit/core';
import type { TakeResult } from './hyperv-types.js';

// How VMMS words a production checkpoint that became a standard one (event 18016 and kin),
// and a job that ended "completed with warnings".
const FALLBACK =
  /standard checkpoint|crash[- ]consistent|could not (?:create|take) (?:a |the )?production|production checkpoint.*(?:fail|not)/i;

/**
 * The consistency a recovery snapshot really has. Hyper-V asked for app (ConsistencyLevel 1)
 * can quietly produce crash: the guest is not running, its VSS integration service is off
 * or not answering, or VMMS says so in its job or its log. Never more than was asked.
 */
export function achievedConsistency(
  requested: Consistency,
  r: TakeResult,
): { achieved: Consistency; warnings: string[] } {
  if (requested === 'crash') return { achieved: 'crash', warnings: [] };
  const warnings: string[] = [];
  if (r.vmState !== 'Running') warnings.push(`the VM was ${r.vmState}, so no guest could be quiesced`);
  else if (!r.vss) warnings.push('the VM has no VSS integration service');
  else if (!r.vss.enabled) warnings.push('the VSS integration service (Backup) is disabled on the VM');
  else if (r.vss.status !== 'OK') warnings.push(`the VSS integration service answered "${r.vss.status}"`);
  if (r.jobState === 32768)
    warnings.push(`the snapshot job completed with warnings${r.jobMessage ? `: ${r.jobMessage}` : ''}`);
  for (const e of r.events) if (FALLBACK.test(e.message)) warnings.push(`VMMS event ${e.id}: ${e.message}`);
  return warnings.length > 0
    ? { achieved: 'crash', warnings: [...warnings, 'the snapshot is crash-consistent'] }
    : { achieved: 'app', warnings: [] };
}
