import type { SshEndpoint, SshRunner } from '@drkit/ssh';

/** How createPhysicalAdapter reaches and treats its host. */
export interface PhysicalAdapterOptions {
  /** The host to log in to. */
  ssh?: SshEndpoint;
  /** Or an injected connection — a recorder, a replay — opened at connect and after a drop. */
  runner?: () => Promise<SshRunner>;
  /** The host's OS; found by asking when absent. */
  os?: 'linux' | 'windows';
  /** Narrows the machine to these block devices (`/dev/loop3`) or volumes (`C:\`); all when absent. */
  disks?: string[];
  /** Commands run before the freeze and after the thaw of an app-consistent point (argv; Linux). */
  hooks?: { pre?: string[]; post?: string[] };
  /** zlib on the wire for disk reads. Default off (loopback and LANs are faster raw). */
  compress?: boolean;
  /** Default freeze budget in ms when a request gives no deadline. Default 10 s. */
  freezeBudgetMs?: number;
}
