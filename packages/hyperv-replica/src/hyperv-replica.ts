import { DrkitError, type OperationOptions } from '@drkit/core';
import type { PowerShellRunner } from '@drkit/powershell';
import { HYPERV_REPLICA_ACTION, HYPERV_REPLICA_STATE } from './hyperv-replica-scripts.js';

/** One VM's replication relationship, as Get-VMReplication reports it (enums by name). */
export interface ReplicationFacts {
  vmId: string;
  vmName: string;
  mode: string;
  state: string;
  health: string;
  primaryServer: string;
  replicaServer: string;
  frequencySec: number;
  lastReplication: string | null;
}

/** A host reached from the machine the runner runs on (a VMM server), not the runner's own. */
export interface RemoteHost {
  computerName: string;
  /** For the Hyper-V cmdlets' -Credential; absent: the session's own identity. */
  credential?: () => Promise<{ username: string; password: string } | undefined>;
}

export type InitialReplication = { method: 'network' } | { method: 'export'; path: string } | { method: 'seeded' };

export interface ReplicaTarget {
  /** The replica server (or the cluster's Replica Broker). */
  replicaServer: string;
  /** 80 for Kerberos over HTTP, 443 for certificates over HTTPS, unless the server says otherwise. */
  port?: number;
  authentication?: 'Kerberos' | 'Certificate';
  certificateThumbprint?: string;
  /** 30, 300 or 900: the intervals Hyper-V Replica accepts. Default 300. */
  frequencySec?: 30 | 300 | 900;
}

/**
 * Hyper-V Replica on one host: each VM's relationship as the host reports it, and the
 * actions on it. The runner reaches the host itself (the Hyper-V adapter) or a machine that
 * manages it, with `computerName` naming the host (the VMM adapter, through its server). A relationship whose log outgrew half the disk (or that lost track) shows
 * `ResynchronizationRequired`: `needsResync` says so and `resync` runs it.
 */
export class HyperVReplica {
  constructor(
    private readonly runner: () => Promise<PowerShellRunner>,
    private readonly remote?: RemoteHost,
  ) {}

  /** The host this acts on, when it is not the runner's own. */
  get host(): string | undefined {
    return this.remote?.computerName;
  }

  async #target(): Promise<Record<string, unknown>> {
    if (!this.remote) return {};
    const credential = await this.remote.credential?.();
    return { computerName: this.remote.computerName, ...(credential && { credential }) };
  }

  async relationships(options: OperationOptions = {}): Promise<Array<ReplicationFacts & { needsResync: boolean }>> {
    const target = await this.#target();
    const rows = await (await this.runner()).invoke<ReplicationFacts>(
      HYPERV_REPLICA_STATE,
      this.remote ? target : undefined,
      options.signal ? { signal: options.signal } : {},
    );
    return rows.map((r) => ({
      ...r,
      needsResync: r.state === 'ResynchronizationRequired' || r.state === 'WaitingForStartResynchronize',
    }));
  }

  /** Creates the replication relationship (Enable-VMReplication); start it with startInitial. */
  async enable(vmId: string, target: ReplicaTarget, options: OperationOptions = {}): Promise<void> {
    if (target.authentication === 'Certificate' && !target.certificateThumbprint)
      throw new DrkitError('bad-input', 'certificate authentication needs the certificate thumbprint');
    const auth = target.authentication ?? 'Kerberos';
    await this.#act(vmId, 'enable', options, {
      replicaServer: target.replicaServer,
      port: String(target.port ?? (auth === 'Certificate' ? 443 : 80)),
      authentication: auth,
      frequencySec: String(target.frequencySec ?? 300),
      ...(target.certificateThumbprint && { certificateThumbprint: target.certificateThumbprint }),
    });
  }

  async startInitial(vmId: string, how: InitialReplication, options: OperationOptions = {}): Promise<void> {
    await this.#act(vmId, `start-${how.method}`, options, how.method === 'export' ? { path: how.path } : {});
  }

  async resync(vmId: string, options: OperationOptions = {}): Promise<void> {
    await this.#act(vmId, 'resync', options);
  }

  async #act(
    vmId: string,
    action: string,
    options: OperationOptions,
    extra: Record<string, string> = {},
  ): Promise<void> {
    await (await this.runner()).invoke(
      HYPERV_REPLICA_ACTION,
      { vmId, action, ...extra, ...(await this.#target()) },
      { ...(options.signal && { signal: options.signal }), timeoutMs: 60 * 60_000 },
    );
  }

  /** One step of a planned failover, on whichever host it belongs to. */
  step(
    vmId: string,
    action: 'prepare-failover' | 'failover' | 'reverse' | 'start-vm',
    options: OperationOptions = {},
  ): Promise<void> {
    return this.#act(vmId, action, options);
  }
}

/**
 * A planned failover, as Microsoft documents it: on the primary, shut the VM down and send
 * the last changes (Start-VMFailover -Prepare); on the replica, fail over, reverse the
 * replication so the old primary becomes the replica, and start the VM. Nothing is lost:
 * the primary is stopped before the last changes leave it.
 */
export async function plannedFailover(
  primary: HyperVReplica,
  replica: HyperVReplica,
  vmId: string,
  options: OperationOptions = {},
): Promise<void> {
  const [here] = (await primary.relationships(options)).filter((r) => r.vmId.toLowerCase() === vmId.toLowerCase());
  if (!here) throw new DrkitError('not-found', `VM ${vmId} is not replicated from this host`);
  if (here.mode !== 'Primary')
    throw new DrkitError(
      'invalid-state',
      `VM ${vmId} is the ${here.mode} here; run the planned failover from its primary`,
    );
  if (here.state !== 'Replicating')
    throw new DrkitError(
      'invalid-state',
      `replication of ${here.vmName} is ${here.state}: a planned failover needs it replicating`,
    );
  await primary.step(vmId, 'prepare-failover', options);
  await replica.step(vmId, 'failover', options);
  await replica.step(vmId, 'reverse', options);
  await replica.step(vmId, 'start-vm', options);
}
