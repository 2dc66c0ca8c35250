import {
  DrkitError,
  UnsupportedError,
  type Adapter,
  type Capabilities,
  type DiscoverOptions,
  type InventoryItem,
  type NativeOps,
  type OperationOptions,
  type RecoveryOps,
  type ReplicationOps,
  type SiteInfo,
  type SnapshotOps,
} from '@drkit/core';
import type { PowerShellRunner } from '@drkit/powershell';
import type { SshRunner } from '@drkit/ssh';
import { openHyperVDisk } from './hyperv-disk-source.js';
import { diskId } from './hyperv-inventory.js';
import { hypervInventory } from './hyperv-inventory.js';
import { HyperVReplica, replicaLinks } from '@drkit/hyperv-replica';
import { HYPERV_DISCOVER, HYPERV_PROBE } from './hyperv-scripts.js';
import { hypervChangeAnchors } from './hyperv-reference-points.js';
import { hypervSnapshotOps } from './hyperv-snapshots.js';
import { hypervRecovery } from './hyperv-recovery.js';
import type { HostFacts, SiteFacts, VmFacts } from './hyperv-types.js';

export interface HyperVAdapterOptions {
  /** The PowerShell runner to the host: over SSH, local, or a replay. */
  runner: () => Promise<PowerShellRunner>;
  /** The endpoint as shown to people: no credentials. */
  endpoint: string;
  /** Frees the transport (an SSH session). */
  close?: () => Promise<void>;
  /** The SSH session under the runner: disk reads stream over it. Without it, no disk reads. */
  ssh?: () => Promise<SshRunner>;
}

/** RCT (resilient change tracking) arrived with Windows Server 2016 (build 14393). */
const RCT_BUILD = 14393;

/**
 * A standalone Hyper-V host (no VMM) managed through fixed PowerShell scripts: discovery
 * from the Hyper-V module, recovery snapshots through WMI with the consistency asked for
 * and checked, Hyper-V Replica state and actions.
 */
export class HyperVAdapter implements Adapter {
  readonly specificationVersion = 'v1' as const;
  readonly kind = 'hyperv';
  readonly snapshots: SnapshotOps;
  readonly replication: ReplicationOps;
  /** Hyper-V Replica's own setup (enable, initial replication, planned failover steps). */
  readonly replica: HyperVReplica;
  /** The same relationships as links, in the shape every platform shares (`drkit links`). */
  readonly native: NativeOps;
  /** VMs made from drkit's points: only over SSH, which carries the disks up. */
  readonly recovery?: RecoveryOps;
  #o: HyperVAdapterOptions;
  #host: HostFacts | undefined;
  #capabilities: Capabilities | undefined;
  #vms = new Map<string, VmFacts>();

  constructor(options: HyperVAdapterOptions) {
    this.#o = options;
    this.snapshots = hypervSnapshotOps({ runner: options.runner, vm: (id, signal) => this.#vm(id, signal) });
    this.replication = {
      ...hypervChangeAnchors({
        runner: options.runner,
        changeTracking: () => this.#capabilities?.replication.changeTracking ?? false,
      }),
      openDisk: async (snapshotId, machineId, id, opts = {}) => {
        const ssh = options.ssh;
        if (!ssh)
          throw new UnsupportedError(
            'replication.diskRead',
            'reading Hyper-V virtual disks needs the host over SSH (this runner has no stream for the block helper)',
          );
        const vm = await this.#vm(machineId.toLowerCase(), opts.signal);
        const disk = vm.disks.find((d) => diskId(vm.id.toLowerCase(), d) === id);
        if (!disk) throw new DrkitError('not-found', `${vm.name} has no disk ${id}`);
        if (!disk.vhd)
          throw new UnsupportedError(
            'replication.diskRead',
            `${id} is a pass-through disk: Hyper-V cannot snapshot it, so drkit cannot read it`,
          );
        return openHyperVDisk({ runner: options.runner, ssh }, { vmId: vm.id, snapshotId, diskId: id, disk }, opts);
      },
    };
    if (options.ssh)
      this.recovery = hypervRecovery({
        runner: options.runner,
        ssh: options.ssh,
        vm: (id, signal) => this.#vm(id, signal),
      });
    this.replica = new HyperVReplica(options.runner);
    this.native = { replication: replicaLinks(this.replica) };
  }

  get capabilities(): Capabilities {
    if (!this.#capabilities)
      throw new DrkitError('invalid-state', 'capabilities are probed at connect; call connect() first');
    return this.#capabilities;
  }

  get site(): SiteInfo {
    const h = this.#host;
    return {
      adapter: 'hyperv',
      endpoint: this.#o.endpoint,
      ...(h && {
        product: h.os,
        version: h.version,
        ...(h.module && { apiVersion: `Hyper-V module ${h.module}` }),
        instanceId: h.uuid.toLowerCase(),
      }),
    };
  }

  async connect(options: OperationOptions = {}): Promise<Capabilities> {
    const [host] = await (await this.#o.runner()).invoke<HostFacts>(
      HYPERV_PROBE,
      undefined,
      options.signal ? { signal: options.signal } : {},
    );
    if (!host) throw new DrkitError('protocol', 'the Hyper-V probe printed nothing');
    this.#host = host;
    this.#capabilities = {
      ...(host.module && { apiVersion: host.module }),
      discovery: true,
      snapshot: {
        consistency: ['crash', 'app'],
        fusedPhases: true,
        mechanisms: [host.build >= RCT_BUILD ? 'hyperv-recovery-snapshot' : 'hyperv-snapshot'],
      },
      replication: {
        diskRead: Boolean(this.#o.ssh),
        changeTracking: Boolean(this.#o.ssh) && host.build >= RCT_BUILD,
        remoteHashing: Boolean(this.#o.ssh),
      },
    };
    return this.#capabilities;
  }

  async *discover(options: DiscoverOptions = {}): AsyncIterable<InventoryItem> {
    if (!this.#host) throw new DrkitError('invalid-state', 'call connect() first');
    const site = await this.#site(options.signal);
    yield* hypervInventory(this.#host, site, options.kinds);
  }

  async close(): Promise<void> {
    await this.#o.close?.();
  }

  async #site(signal?: AbortSignal): Promise<SiteFacts> {
    const [site] = await (await this.#o.runner()).invoke<SiteFacts>(HYPERV_DISCOVER, undefined, {
      ...(signal && { signal }),
      timeoutMs: 10 * 60_000,
    });
    if (!site) throw new DrkitError('protocol', 'the Hyper-V discovery printed nothing');
    this.#vms = new Map(site.vms.map((vm) => [vm.id.toLowerCase(), vm]));
    return site;
  }

  async #vm(id: string, signal?: AbortSignal): Promise<VmFacts> {
    if (!this.#host) throw new DrkitError('invalid-state', 'call connect() first');
    if (!this.#vms.has(id)) await this.#site(signal);
    const vm = this.#vms.get(id);
    if (!vm) throw new DrkitError('not-found', `no VM ${id} on ${this.#host.name}`);
    return vm;
  }
}
