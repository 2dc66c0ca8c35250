import {
  DrkitError,
  UnsupportedError,
  type Adapter,
  type Capabilities,
  type DiscoverOptions,
  type InventoryItem,
  type NativeOps,
  type OperationOptions,
  type ReplicationOps,
  type SiteInfo,
  type SnapshotOps,
} from '@drkit/core';
import { HyperVReplica } from '@drkit/hyperv-replica';
import type { PowerShellRunner, PsOperation } from '@drkit/powershell';
import { vmmCheckpointOps } from './vmm-checkpoints.js';
import { machineIdOf, vmmInventory } from './vmm-inventory.js';
import { VmmReplicationGroups } from './vmm-replication-groups.js';
import { replicationGroupLinks } from './vmm-group-links.js';
import { VMM_DISCOVER, VMM_PROBE } from './vmm-scripts.js';
import type { VmmServerFacts, VmmSite, VmmVm } from './vmm-types.js';

export interface VmmCredential {
  username: string;
  /** Read when needed; sent only as JSON on stdin, turned into a PSCredential host-side. */
  password: () => Promise<string>;
}

export interface VmmAdapterOptions {
  runner: () => Promise<PowerShellRunner>;
  endpoint: string;
  /** The VMM server to connect to from where PowerShell runs (`localhost` on the server itself). */
  server: string;
  /** Absent: the login's own identity (integrated authentication). */
  credential?: VmmCredential;
  close?: () => Promise<void>;
}

/**
 * A Hyper-V estate through System Center VMM: host groups, clouds, hosts and VMs, VM
 * networks for network mapping, SAN LUNs and replication groups; VMM checkpoints; SAN
 * replication-group operations. Each call is one fixed script connecting with Get-SCVMMServer.
 */
export class VmmAdapter implements Adapter {
  readonly specificationVersion = 'v1' as const;
  readonly kind = 'vmm';
  readonly snapshots: SnapshotOps;
  readonly replication: ReplicationOps;
  /** VMM's replication-group operations, each by name (Set-SCReplicationGroup). */
  readonly replicationGroups: VmmReplicationGroups;
  /** The same groups as links, in the shape every platform shares (`drkit links`). */
  readonly native: NativeOps;
  #o: VmmAdapterOptions;
  #server: VmmServerFacts | undefined;
  #capabilities: Capabilities | undefined;
  #site: VmmSite | undefined;

  constructor(options: VmmAdapterOptions) {
    this.#o = options;
    const invoke = <T>(op: PsOperation, input: Record<string, unknown>, signal?: AbortSignal) =>
      this.#invoke<T>(op, input, signal);
    this.snapshots = vmmCheckpointOps({
      invoke,
      runner: options.runner,
      vm: (id, signal) => this.#vm(id, signal),
      vmByVmmId: (id) => this.#site?.vms.find((v) => v.id === id),
    });
    this.replication = {
      openDisk: async () => {
        throw new UnsupportedError(
          'replication.diskRead',
          'VMM gives no disk reads: replicate with Hyper-V Replica or SAN replication groups (adapter.native.replication)',
        );
      },
    };
    this.replicationGroups = new VmmReplicationGroups(
      invoke,
      async (signal) => (await this.#discover(signal)).replicationGroups,
    );
    this.native = {
      replication: replicationGroupLinks(this.replicationGroups, () => this.#server?.fqdn ?? options.server),
    };
  }

  get capabilities(): Capabilities {
    if (!this.#capabilities)
      throw new DrkitError('invalid-state', 'capabilities are probed at connect; call connect() first');
    return this.#capabilities;
  }

  get site(): SiteInfo {
    const s = this.#server;
    return {
      adapter: 'vmm',
      endpoint: this.#o.endpoint,
      ...(s && {
        product: 'System Center Virtual Machine Manager',
        version: s.version,
        instanceId: s.fqdn.toLowerCase(),
      }),
    };
  }

  async connect(options: OperationOptions = {}): Promise<Capabilities> {
    const [server] = await this.#invoke<VmmServerFacts>(VMM_PROBE, {}, options.signal);
    if (!server) throw new DrkitError('protocol', 'the VMM probe printed nothing');
    this.#server = server;
    this.#capabilities = {
      apiVersion: server.version,
      discovery: true,
      snapshot: { consistency: ['crash', 'app'], fusedPhases: true, mechanisms: ['vmm-checkpoint'] },
      replication: { diskRead: false, changeTracking: false, remoteHashing: false },
    };
    return this.#capabilities;
  }

  async *discover(options: DiscoverOptions = {}): AsyncIterable<InventoryItem> {
    if (!this.#server) throw new DrkitError('invalid-state', 'call connect() first');
    yield* vmmInventory(await this.#discover(options.signal), options.kinds);
  }

  /**
   * Hyper-V Replica for one VM, driven through this VMM server: the Hyper-V adapter's own
   * operations, run on the server against the host VMM places the VM on (-ComputerName, with
   * this adapter's credential when it has one). VMM-to-VMM, per VM:
   * `plannedFailover(await primary.hyperVReplica(id), await recovery.hyperVReplica(id), id)`.
   */
  async hyperVReplica(machineId: string, options: OperationOptions = {}): Promise<HyperVReplica> {
    const vm = await this.#vm(machineId, options.signal);
    const host = this.#site?.hosts.find((h) => h.id === vm.hostId);
    if (!host) throw new DrkitError('not-found', `VMM places ${vm.name} on no host it manages`);
    const c = this.#o.credential;
    return new HyperVReplica(this.#o.runner, {
      computerName: host.fqdn || host.name,
      ...(c && { credential: async () => ({ username: c.username, password: await c.password() }) }),
    });
  }

  async close(): Promise<void> {
    await this.#o.close?.();
  }

  async #invoke<T>(op: PsOperation, input: Record<string, unknown>, signal?: AbortSignal): Promise<T[]> {
    const c = this.#o.credential;
    const credential = c ? { username: c.username, password: await c.password() } : undefined;
    return (await this.#o.runner()).invoke<T>(
      op,
      { server: this.#o.server, ...(credential && { credential }), ...input },
      { ...(signal && { signal }), timeoutMs: 30 * 60_000 },
    );
  }

  async #discover(signal?: AbortSignal): Promise<VmmSite> {
    const [site] = await this.#invoke<VmmSite>(VMM_DISCOVER, {}, signal);
    if (!site) throw new DrkitError('protocol', 'the VMM discovery printed nothing');
    this.#site = site;
    return site;
  }

  async #vm(machineId: string, signal?: AbortSignal): Promise<VmmVm> {
    if (!this.#server) throw new DrkitError('invalid-state', 'call connect() first');
    const find = () => this.#site?.vms.find((v) => machineIdOf(v) === machineId.toLowerCase());
    let vm = find();
    if (!vm) {
      await this.#discover(signal);
      vm = find();
    }
    if (!vm) throw new DrkitError('not-found', `no VM ${machineId} in VMM`);
    return vm;
  }
}
