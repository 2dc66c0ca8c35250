import {
  DrkitError,
  UnsupportedError,
  type Adapter,
  type Capabilities,
  type DiscoverOptions,
  type InventoryItem,
  type NativeOps,
  type OperationOptions,
  type PreparedSnapshot,
  type ReplicationOps,
  type SiteInfo,
  type SnapshotOps,
  type SnapshotRequest,
  type TakenSnapshot,
  checkSnapshotTag,
} from '@drkit/core';
import type {
  ArrayDriver,
  ArrayFacts,
  ArrayGroup,
  ArraySnapshot,
  ArrayVolume,
  StartedSnapshot,
} from './array-driver.js';
import { ArrayReplication } from './array-replication.js';
import { readArrayView, type ArrayView } from './array-view.js';
import { sanInventory } from './san-inventory.js';

export interface SanAdapterOptions {
  driver: ArrayDriver;
  /** The endpoint as shown to people: no credentials. */
  endpoint: string;
}

/** ONTAP's write fence lasts 1–90 s (5–120 s on newer releases); 7 s is its default. */
const FENCE = { min: 5, max: 90, default: 7 };
/** A tag both arrays accept in a snapshot name (Pure suffixes allow no '_'), and that no ONTAP query pattern (`*`, `|`, `!`) can hide in. */
// Array object names: letters, digits and '-', from a letter; 63 leaves room for prefixes.
const ARRAY_TAGS = { maxLength: 63, namesLikeArrays: true };

interface Handle {
  group: ArrayGroup;
  volumes: ArrayVolume[];
  started?: StartedSnapshot;
  committed?: ArraySnapshot;
  released?: boolean;
}

/**
 * A storage array as a drkit site. On a SAN the unit that snapshots at one instant is the
 * array's consistency group (ONTAP) or protection group (Pure), so each such group is a
 * machine here and its volumes are the machine's disks; the hosts are the initiator groups
 * that see them. A group point over several of them is write-order consistent across all:
 * ONTAP fences every group in prepare and commits in take.
 */
export class SanAdapter implements Adapter {
  readonly specificationVersion = 'v1' as const;
  readonly kind = 'san';
  readonly snapshots: SnapshotOps;
  readonly replication: ReplicationOps;
  /** The array's own replication: SnapMirror relationships, pgroup targets. */
  readonly arrayReplication: ArrayReplication;
  /** The same, in the shape every adapter declares its own replication in. */
  readonly native: NativeOps;
  #driver: ArrayDriver;
  #endpoint: string;
  #facts: ArrayFacts | undefined;
  #capabilities: Capabilities | undefined;
  #view: ArrayView | undefined;

  constructor(options: SanAdapterOptions) {
    this.#driver = options.driver;
    this.#endpoint = options.endpoint;
    this.snapshots = {
      prepare: (r) => this.#prepare(r),
      take: (p, o) => this.#take(p, o),
      release: (p) => this.#release(p),
      delete: (s, o) => this.#delete(s, o),
      listTagged: (tag, o) => this.#listTagged(tag, o),
    };
    this.replication = {
      openDisk: async () => {
        throw new UnsupportedError(
          'replication.diskRead',
          'an array gives no block reads over its REST API: replicate SAN volumes with the array (arrayReplication) or read them through a host that sees them',
        );
      },
    };
    this.arrayReplication = new ArrayReplication(this.#driver, () => this.#connectedFacts());
    this.native = { replication: this.arrayReplication };
  }

  get capabilities(): Capabilities {
    if (!this.#capabilities)
      throw new DrkitError('invalid-state', 'capabilities are probed at connect; call connect() first');
    return this.#capabilities;
  }

  get site(): SiteInfo {
    const f = this.#facts;
    return {
      adapter: 'san',
      endpoint: this.#endpoint,
      ...(f && { product: f.product, version: f.version, apiVersion: f.apiVersion, instanceId: f.instanceId }),
    };
  }

  async connect(options: OperationOptions = {}): Promise<Capabilities> {
    const facts = await this.#driver.connect(options);
    this.#facts = facts;
    const mechanisms =
      this.#driver.family === 'ontap'
        ? ['ontap-cg-snapshot', ...(facts.features.twoPhaseGroupSnapshot ? ['ontap-cg-two-phase'] : [])]
        : ['pure-pgroup-snapshot'];
    this.#capabilities = {
      apiVersion: facts.apiVersion,
      discovery: true,
      // An array cannot quiesce an application: its group snapshot is crash-consistent, at one instant.
      snapshot: { consistency: ['crash'], fusedPhases: false, mechanisms },
      replication: { diskRead: false, changeTracking: false, remoteHashing: false },
    };
    return this.#capabilities;
  }

  async *discover(options: DiscoverOptions = {}): AsyncIterable<InventoryItem> {
    const facts = this.#connectedFacts();
    this.#view = await readArrayView(this.#driver, options.signal);
    yield* sanInventory(facts, this.#view, options.kinds);
  }

  async close(): Promise<void> {
    await this.#driver.close();
  }

  /** Machine ids name the array and the group: `<array id>/group/<group id>`. */
  #groupIdOf(machineId: string): string {
    const prefix = `${this.#connectedFacts().instanceId}/group/`;
    if (!machineId.startsWith(prefix))
      throw new DrkitError('not-found', `${machineId} is not a consistency group of this array`);
    return machineId.slice(prefix.length);
  }

  async #group(machineId: string, signal?: AbortSignal): Promise<{ group: ArrayGroup; volumes: ArrayVolume[] }> {
    const id = this.#groupIdOf(machineId);
    let found = this.#view?.groupById(id);
    if (!found) {
      this.#view = await readArrayView(this.#driver, signal);
      found = this.#view.groupById(id);
    }
    if (!found) throw new DrkitError('not-found', `consistency group ${id} is not on this array`);
    if (found.volumes.length === 0)
      throw new DrkitError(
        'invalid-state',
        `consistency group ${found.group.name} holds no volumes: nothing to snapshot`,
      );
    return found;
  }

  async #prepare(request: SnapshotRequest): Promise<PreparedSnapshot> {
    if (!this.#capabilities) throw new DrkitError('invalid-state', 'call connect() first');
    if (request.consistency === 'app') {
      throw new UnsupportedError(
        'snapshot.app',
        'an array snapshot is crash-consistent; for app consistency group it with the hosts that can freeze their applications',
      );
    }
    checkSnapshotTag(request.tag, ARRAY_TAGS);
    const { group, volumes } = await this.#group(request.machineId, request.signal);
    const handle: Handle = { group, volumes };
    if (this.#facts!.features.twoPhaseGroupSnapshot && this.#driver.startGroupSnapshot) {
      const seconds =
        request.freezeDeadline === undefined ? FENCE.default : Math.ceil((request.freezeDeadline - Date.now()) / 1000);
      handle.started = await this.#driver.startGroupSnapshot(
        group,
        request.tag,
        Math.min(FENCE.max, Math.max(FENCE.min, seconds)),
        request,
      );
    }
    return {
      machineId: request.machineId,
      request,
      handle,
      ...(handle.started && { frozenAt: handle.started.fencedAt }),
    };
  }

  async #take(prepared: PreparedSnapshot, options: OperationOptions = {}): Promise<TakenSnapshot> {
    const handle = prepared.handle as Handle;
    const snapshot = handle.started
      ? await this.#driver.commitGroupSnapshot!(handle.started, options)
      : await this.#driver.createGroupSnapshot(handle.group, prepared.request.tag, options);
    handle.committed = snapshot;
    return {
      id: snapshot.id,
      machineId: prepared.machineId,
      takenAt: snapshot.createdAt,
      requested: prepared.request.consistency,
      achieved: 'crash',
      warnings: [],
      changeTokens: {},
      disks: handle.volumes.map((v) => ({
        diskId: `${this.#facts!.instanceId}/volume/${v.id}`,
        name: v.name,
        sizeBytes: v.sizeBytes,
      })),
      tag: prepared.request.tag,
    };
  }

  /** Ends the fence. A snapshot started and never committed is removed, not left half-made. */
  async #release(prepared: PreparedSnapshot): Promise<void> {
    const handle = prepared.handle as Handle;
    if (handle.released) return;
    handle.released = true;
    if (handle.started && !handle.committed) await this.#driver.deleteGroupSnapshot(handle.started);
  }

  async #delete(snapshot: Pick<TakenSnapshot, 'id' | 'machineId'>, options: OperationOptions = {}): Promise<void> {
    await this.#driver.deleteGroupSnapshot({ id: snapshot.id, groupId: this.#groupIdOf(snapshot.machineId) }, options);
  }

  async #listTagged(
    tag: string,
    options: OperationOptions = {},
  ): Promise<Array<Pick<TakenSnapshot, 'id' | 'machineId' | 'takenAt'>>> {
    checkSnapshotTag(tag, ARRAY_TAGS);
    const found = await this.#driver.findGroupSnapshots(tag, options);
    const prefix = `${this.#connectedFacts().instanceId}/group/`;
    return found.map((s) => ({ id: s.id, machineId: prefix + s.groupId, takenAt: s.createdAt }));
  }

  #connectedFacts(): ArrayFacts {
    if (!this.#facts) throw new DrkitError('invalid-state', 'call connect() first');
    return this.#facts;
  }
}
