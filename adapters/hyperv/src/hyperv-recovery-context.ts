import type { PowerShellRunner } from '@drkit/powershell';
import type { SshRunner } from '@drkit/ssh';
import type { VmFacts } from './hyperv-types.js';

/** What Hyper-V recovery and failback need of the adapter. */
export interface HyperVRecoveryContext {
  runner: () => Promise<PowerShellRunner>;
  /** The SSH session the disks go up over. */
  ssh: () => Promise<SshRunner>;
  /** A VM as discovery last saw it (its disks, for a failback). */
  vm: (id: string, signal?: AbortSignal) => Promise<VmFacts>;
}
