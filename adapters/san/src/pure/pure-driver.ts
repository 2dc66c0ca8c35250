import { DrkitError, UnsupportedError, normalizeWwn } from '@drkit/core';
import type { HttpTransport } from '@drkit/http';
import type {
  ArrayContainer,
  ArrayDriver,
  ArrayFacts,
  ArrayGroup,
  ArrayHost,
  ArraySnapshot,
  ArrayVolume,
  DriverCallOptions,
  ReplicationLink,
  ReplicationTarget,
} from '../array-driver.js';
import { PureSession } from './pure-rest.js';
import { pureLinks } from './pure-replication.js';

export interface PureDriverOptions {
  transport: HttpTransport;
  apiToken: () => Promise<string>;
  where: string;
}

interface Ref {
  name: string;
  id?: string;
}
interface PureArray {
  id: string;
  name: string;
  os?: string;
  version?: string;
  capacity?: number;
  space?: { total_physical?: number };
}
interface PureVolume {
  id: string;
  name: string;
  serial?: string;
  provisioned?: number;
}
interface PureHost {
  name: string;
  iqns?: string[];
  wwns?: string[];
  nqns?: string[];
  personality?: string | null;
}
interface Connection {
  host?: Ref;
  volume?: Ref;
}
interface Membership {
  group: Ref;
  member: Ref;
}
interface PgSnapshot {
  name: string;
  created?: number;
  source?: Ref;
  suffix?: string;
}

/** Pure's NAA ids: its prefix and the volume's 24-hex-digit serial. */
export function pureVolumeWwn(serial: string | undefined): string | undefined {
  return serial && /^[0-9a-f]{24}$/i.test(serial) ? normalizeWwn(`624a9370${serial}`) : undefined;
}

/**
 * Pure Storage FlashArray over REST 2.x: volumes, hosts and their connections, protection
 * groups (Pure's unit of consistency) and their snapshots, async replication targets.
 * A pgroup snapshot is one call and one instant across the group: no fence phase.
 */
export class PureDriver implements ArrayDriver {
  readonly family = 'pure' as const;
  readonly session: PureSession;
  #array: PureArray | undefined;

  constructor(options: PureDriverOptions) {
    this.session = new PureSession({ transport: options.transport, apiToken: options.apiToken, where: options.where });
  }

  async connect(options: DriverCallOptions = {}): Promise<ArrayFacts> {
    const apiVersion = await this.session.open(options.signal);
    const [array] = await this.session.all<PureArray>('arrays', {}, options.signal);
    if (!array) throw new DrkitError('protocol', 'the FlashArray lists no array');
    this.#array = array;
    const connections = await this.session.all<{ status?: string; type?: string }>(
      'array-connections',
      {},
      options.signal,
    );
    return {
      vendor: 'pure',
      product: array.os ?? 'Purity//FA',
      version: array.version ?? 'unknown',
      apiVersion,
      instanceId: array.id,
      name: array.name,
      features: {
        twoPhaseGroupSnapshot: false,
        replication: connections.some((c) => c.type === 'async-replication' || c.type === undefined),
      },
    };
  }

  async *volumes(options: DriverCallOptions = {}): AsyncIterable<ArrayVolume> {
    const array = this.#connected();
    for await (const v of this.session.items<PureVolume>('volumes', { destroyed: false }, options.signal)) {
      const wwn = pureVolumeWwn(v.serial);
      yield { id: v.id, name: v.name, sizeBytes: v.provisioned ?? 0, containerId: array.id, ...(wwn && { wwn }) };
    }
  }

  async *containers(): AsyncIterable<ArrayContainer> {
    const array = this.#connected();
    const used = array.space?.total_physical;
    yield {
      id: array.id,
      name: array.name,
      type: 'pure-array',
      ...(array.capacity !== undefined && { capacityBytes: array.capacity }),
      ...(array.capacity !== undefined && used !== undefined && { freeBytes: Math.max(0, array.capacity - used) }),
    };
  }

  async *hosts(options: DriverCallOptions = {}): AsyncIterable<ArrayHost> {
    const [hosts, connections] = await Promise.all([
      this.session.all<PureHost>('hosts', {}, options.signal),
      this.session.all<Connection>('connections', {}, options.signal),
    ]);
    for (const h of hosts) {
      const protocols = [h.iqns?.length && 'iscsi', h.wwns?.length && 'fc', h.nqns?.length && 'nvme'].filter(Boolean);
      yield {
        id: h.name,
        name: h.name,
        ...(protocols.length > 0 && { protocol: protocols.join(', ') }),
        initiators: [...(h.iqns ?? []), ...(h.wwns ?? []), ...(h.nqns ?? [])],
        volumeIds: connections.filter((c) => c.host?.name === h.name && c.volume?.id).map((c) => c.volume!.id!),
      };
    }
  }

  async *groups(options: DriverCallOptions = {}): AsyncIterable<ArrayGroup> {
    const array = this.#connected();
    const [groups, volumes, hosts] = await Promise.all([
      this.session.all<{ name: string; source?: Ref }>('protection-groups', { destroyed: false }, options.signal),
      this.session.all<Membership>('protection-groups/volumes', {}, options.signal),
      this.session.all<Membership>('protection-groups/hosts', {}, options.signal),
    ]);
    // Groups replicated here from another array are that array's to snapshot.
    for (const g of groups.filter((g) => !g.source || g.source.name === array.name)) {
      yield {
        id: g.name,
        name: g.name,
        volumeIds: volumes.filter((m) => m.group.name === g.name && m.member.id).map((m) => m.member.id!),
        containerIds: [],
        hostIds: hosts.filter((m) => m.group.name === g.name).map((m) => m.member.name),
      };
    }
  }

  async createGroupSnapshot(group: ArrayGroup, name: string, options: DriverCallOptions = {}): Promise<ArraySnapshot> {
    const answer = await this.session.rest.send({
      method: 'POST',
      path: this.session.path('protection-group-snapshots'),
      query: { source_names: group.name, apply_retention: true },
      body: { suffix: name },
      ...options,
    });
    const [item] = (answer.body as { items?: PgSnapshot[] }).items ?? [];
    if (!item) throw new DrkitError('protocol', `the FlashArray took no snapshot of ${group.name}`);
    return toSnapshot(item, group.name);
  }

  /** Destroyed, not eradicated: Pure keeps it recoverable for its eradication delay. */
  async deleteGroupSnapshot(
    snapshot: Pick<ArraySnapshot, 'id' | 'groupId'>,
    options: DriverCallOptions = {},
  ): Promise<void> {
    try {
      await this.session.rest.send({
        method: 'PATCH',
        path: this.session.path('protection-group-snapshots'),
        query: { names: snapshot.id },
        body: { destroyed: true },
        ...options,
      });
    } catch (error) {
      // Pure answers 400 "does not exist" for a snapshot already gone.
      if (!(DrkitError.isInstance(error) && (error.code === 'not-found' || /does not exist/i.test(error.message))))
        throw error;
    }
  }

  async findGroupSnapshots(name: string, options: DriverCallOptions = {}): Promise<ArraySnapshot[]> {
    const items = await this.session.all<PgSnapshot>(
      'protection-group-snapshots',
      { destroyed: false, filter: `suffix='${name}'` },
      options.signal,
    );
    return items.filter((i) => i.suffix === name).map((i) => toSnapshot(i, i.source?.name ?? i.name.split('.')[0]!));
  }

  replicationLinks(options: DriverCallOptions = {}): Promise<ReplicationLink[]> {
    return pureLinks(this.session, this.#connected().name, options.signal);
  }

  /** Adds a connected array as the pgroup's target; that array must then allow the group. */
  async createReplication(
    group: ArrayGroup,
    _containers: ArrayContainer[],
    target: ReplicationTarget,
    options: DriverCallOptions = {},
  ): Promise<void> {
    await this.session.rest.send({
      method: 'POST',
      path: this.session.path('protection-groups/targets'),
      query: { group_names: group.name, member_names: target.name },
      ...options,
    });
  }

  /** A new pgroup snapshot sent to every target now (Pure names it). */
  async updateReplication(link: ReplicationLink, options: DriverCallOptions = {}): Promise<void> {
    if (!link.groupId) throw new DrkitError('bad-input', `replication link ${link.id} names no protection group`);
    await this.session.rest.send({
      method: 'POST',
      path: this.session.path('protection-group-snapshots'),
      query: { source_names: link.groupId, apply_retention: true, replicate_now: true },
      body: {},
      ...options,
    });
  }

  async failover(): Promise<void> {
    throw new UnsupportedError(
      'native.replication.failover',
      'FlashArray async replication fails over on the target array, by copying a replicated snapshot to new volumes; drkit does not drive that yet',
    );
  }

  async resync(): Promise<void> {
    throw new UnsupportedError(
      'native.replication.resync',
      'FlashArray async replication has no resync of a broken link: the protection group is re-created in the other direction',
    );
  }

  async close(): Promise<void> {
    await this.session.logout();
  }

  #connected(): PureArray {
    if (!this.#array) throw new DrkitError('invalid-state', 'connect to the FlashArray first');
    return this.#array;
  }
}

function toSnapshot(item: PgSnapshot, groupId: string): ArraySnapshot {
  return {
    id: item.name,
    groupId,
    name: item.suffix ?? item.name.split('.').slice(1).join('.'),
    createdAt: new Date(item.created ?? 0).toISOString(),
  };
}
