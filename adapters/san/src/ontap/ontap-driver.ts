import { DrkitError, UnsupportedError, inParallel, normalizeWwn } from '@drkit/core';
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
  StartedSnapshot,
} from '../array-driver.js';
import { RestClient } from '../rest-client.js';
import { followJob, ontapAll, ontapFault, ontapRecords } from './ontap-rest.js';
import { ontapLinks } from './ontap-snapmirror.js';

export interface OntapCredentials {
  username: string;
  password: () => Promise<string>;
}

export interface OntapDriverOptions {
  transport: HttpTransport;
  credentials: OntapCredentials;
  /** For messages: the endpoint without credentials. */
  where: string;
}

interface Lun {
  uuid: string;
  name: string;
  serial_number?: string;
  space?: { size?: number };
  location?: { volume?: { uuid?: string } };
}
interface FlexVol {
  uuid: string;
  name: string;
  style?: string;
  space?: { size?: number; available?: number };
}
interface Igroup {
  uuid: string;
  name: string;
  protocol?: string;
  os_type?: string;
  initiators?: Array<{ name: string }>;
  lun_maps?: Array<{ lun?: { uuid?: string } }>;
}
interface Cg {
  uuid: string;
  name: string;
  svm?: { name?: string };
  volumes?: Array<{ uuid: string }>;
  luns?: Array<{ uuid?: string }>;
}
interface CgSnapshot {
  uuid: string;
  name: string;
  create_time?: string;
}

/** ONTAP's NAA ids: NetApp's prefix and the LUN's 12-character serial in hex. */
export function ontapLunWwn(serial: string | undefined): string | undefined {
  return serial && serial.length === 12
    ? normalizeWwn(`600a0980${Buffer.from(serial, 'latin1').toString('hex')}`)
    : undefined;
}

/**
 * NetApp ONTAP 9.10+ over its REST API: LUNs in FlexVols, igroups, consistency groups and
 * their snapshots (two-phase from 9.11), SnapMirror. Basic authentication on every call:
 * ONTAP keeps no session, so a 401 means the credentials are wrong, never "log in again".
 */
export class OntapDriver implements ArrayDriver {
  readonly family = 'ontap' as const;
  readonly rest: RestClient;
  #facts: ArrayFacts | undefined;

  constructor(options: OntapDriverOptions) {
    const { username, password } = options.credentials;
    this.rest = new RestClient({
      transport: options.transport,
      where: options.where,
      authHeaders: async () => ({
        authorization: `Basic ${Buffer.from(`${username}:${await password()}`).toString('base64')}`,
      }),
      faultOf: ontapFault,
    });
  }

  async connect(options: DriverCallOptions = {}): Promise<ArrayFacts> {
    const cluster = (
      await this.rest.send({ method: 'GET', path: '/api/cluster', query: { fields: 'name,uuid,version' }, ...options })
    ).body as {
      name: string;
      uuid: string;
      version?: { full?: string; generation?: number; major?: number; minor?: number };
    };
    const v = cluster.version ?? {};
    const level = (v.generation ?? 0) * 100 + (v.major ?? 0);
    if (level < 910)
      throw new UnsupportedError(
        'platform.version',
        `ONTAP ${v.generation}.${v.major} is too old: consistency groups over REST need 9.10 or later`,
      );
    const licenses = await ontapAll<{ name: string; state?: string }>(
      this.rest,
      '/api/cluster/licensing/licenses',
      { fields: 'name,state', name: 'snapmirror' },
      options.signal,
    );
    this.#facts = {
      vendor: 'netapp',
      product: 'NetApp ONTAP',
      // `full` reads "NetApp Release 9.13.1P6: Tue Jul 23 …": keep the release, patch level included.
      version: /Release (\S+?):/.exec(v.full ?? '')?.[1] ?? `${v.generation}.${v.major}.${v.minor ?? 0}`,
      apiVersion: `${v.generation}.${v.major}.${v.minor ?? 0}`,
      instanceId: cluster.uuid,
      name: cluster.name,
      features: {
        twoPhaseGroupSnapshot: level >= 911,
        replication: licenses.some((l) => l.state === 'compliant'),
      },
    };
    return this.#facts;
  }

  async *volumes(options: DriverCallOptions = {}): AsyncIterable<ArrayVolume> {
    for await (const lun of ontapRecords<Lun>(
      this.rest,
      '/api/storage/luns',
      { fields: 'uuid,name,serial_number,space.size,location.volume.uuid' },
      options.signal,
    )) {
      const wwn = ontapLunWwn(lun.serial_number);
      yield {
        id: lun.uuid,
        name: lun.name.split('/').pop() ?? lun.name,
        path: lun.name,
        sizeBytes: lun.space?.size ?? 0,
        ...(wwn && { wwn }),
        ...(lun.location?.volume?.uuid && { containerId: lun.location.volume.uuid }),
      };
    }
  }

  async *containers(options: DriverCallOptions = {}): AsyncIterable<ArrayContainer> {
    for await (const vol of ontapRecords<FlexVol>(
      this.rest,
      '/api/storage/volumes',
      { fields: 'uuid,name,style,space.size,space.available' },
      options.signal,
    )) {
      yield {
        id: vol.uuid,
        name: vol.name,
        type: `ontap-${vol.style ?? 'flexvol'}`,
        ...(vol.space?.size !== undefined && { capacityBytes: vol.space.size }),
        ...(vol.space?.available !== undefined && { freeBytes: vol.space.available }),
      };
    }
  }

  async *hosts(options: DriverCallOptions = {}): AsyncIterable<ArrayHost> {
    for await (const g of ontapRecords<Igroup>(
      this.rest,
      '/api/protocols/san/igroups',
      { fields: 'uuid,name,protocol,os_type,initiators.name,lun_maps.lun.uuid' },
      options.signal,
    )) {
      yield {
        id: g.uuid,
        name: g.name,
        protocol: [g.protocol, g.os_type].filter(Boolean).join(', '),
        initiators: (g.initiators ?? []).map((i) => i.name),
        volumeIds: (g.lun_maps ?? []).flatMap((m) => (m.lun?.uuid ? [m.lun.uuid] : [])),
      };
    }
  }

  async *groups(options: DriverCallOptions = {}): AsyncIterable<ArrayGroup> {
    for await (const cg of ontapRecords<Cg>(
      this.rest,
      '/api/application/consistency-groups',
      { fields: 'uuid,name,svm.name,volumes.uuid,luns.uuid' },
      options.signal,
    )) {
      yield {
        id: cg.uuid,
        name: cg.name,
        volumeIds: (cg.luns ?? []).flatMap((l) => (l.uuid ? [l.uuid] : [])),
        // A consistency group is made of FlexVols: every LUN in them is in the group.
        containerIds: (cg.volumes ?? []).map((v) => v.uuid),
        hostIds: [],
        ...(cg.svm?.name && { namespace: cg.svm.name }),
      };
    }
  }

  async startGroupSnapshot(
    group: ArrayGroup,
    name: string,
    fenceSeconds: number,
    options: DriverCallOptions = {},
  ): Promise<StartedSnapshot> {
    if (!this.#facts?.features.twoPhaseGroupSnapshot)
      throw new UnsupportedError('snapshot.twoPhase', 'two-phase consistency-group snapshots need ONTAP 9.11 or later');
    const fencedAt = Date.now();
    // The fence holds writes on every volume of the group until commit or action_timeout.
    const answer = await this.rest.send({
      method: 'POST',
      path: `${cgPath(group.id)}/snapshots`,
      query: { action: 'start', action_timeout: fenceSeconds },
      body: { name, consistency_type: 'crash', comment: 'drkit' },
      ...options,
    });
    await followJob(this.rest, answer.body, `starting snapshot ${name} of ${group.name}`, options.signal);
    const found = await this.#snapshotsNamed(group.id, name, options.signal);
    if (!found[0])
      throw new DrkitError('protocol', `ONTAP started snapshot ${name} of ${group.name} but does not list it`);
    return { id: found[0].id, groupId: group.id, name, fencedAt };
  }

  async commitGroupSnapshot(started: StartedSnapshot, options: DriverCallOptions = {}): Promise<ArraySnapshot> {
    const answer = await this.rest.send({
      method: 'PATCH',
      path: `${cgPath(started.groupId)}/snapshots/${encodeURIComponent(started.id)}`,
      query: { action: 'commit' },
      ...options,
    });
    await followJob(this.rest, answer.body, `committing snapshot ${started.name}`, options.signal);
    const [snapshot] = (await this.#snapshotsNamed(started.groupId, started.name, options.signal)).filter(
      (s) => s.id === started.id,
    );
    if (!snapshot) throw new DrkitError('platform', `snapshot ${started.name} is gone after its commit`);
    return snapshot;
  }

  async createGroupSnapshot(group: ArrayGroup, name: string, options: DriverCallOptions = {}): Promise<ArraySnapshot> {
    const answer = await this.rest.send({
      method: 'POST',
      path: `${cgPath(group.id)}/snapshots`,
      body: { name, consistency_type: 'crash', comment: 'drkit' },
      ...options,
    });
    await followJob(this.rest, answer.body, `snapshot ${name} of ${group.name}`, options.signal);
    const [snapshot] = await this.#snapshotsNamed(group.id, name, options.signal);
    if (!snapshot)
      throw new DrkitError('protocol', `ONTAP took snapshot ${name} of ${group.name} but does not list it`);
    return snapshot;
  }

  async deleteGroupSnapshot(
    snapshot: Pick<ArraySnapshot, 'id' | 'groupId'>,
    options: DriverCallOptions = {},
  ): Promise<void> {
    try {
      const answer = await this.rest.send({
        method: 'DELETE',
        path: `${cgPath(snapshot.groupId)}/snapshots/${encodeURIComponent(snapshot.id)}`,
        ...options,
      });
      await followJob(this.rest, answer.body, `deleting snapshot ${snapshot.id}`, options.signal);
    } catch (error) {
      if (!(DrkitError.isInstance(error) && error.code === 'not-found')) throw error;
    }
  }

  async findGroupSnapshots(name: string, options: DriverCallOptions = {}): Promise<ArraySnapshot[]> {
    const cgs = await ontapAll<Cg>(
      this.rest,
      '/api/application/consistency-groups',
      { fields: 'uuid' },
      options.signal,
    );
    const found: ArraySnapshot[][] = [];
    await inParallel(
      cgs.map((cg, i) => async () => void (found[i] = await this.#snapshotsNamed(cg.uuid, name, options.signal))),
      8,
    );
    return found.flat();
  }

  replicationLinks(options: DriverCallOptions = {}): Promise<ReplicationLink[]> {
    return ontapLinks(this.rest, options.signal);
  }

  /**
   * A CG relationship from the source cluster: ONTAP provisions the destination CG and its
   * DP volumes (`<name>_dr` on the target SVM) and initializes it (`state: snapmirrored`).
   */
  async createReplication(
    group: ArrayGroup,
    containers: ArrayContainer[],
    target: ReplicationTarget,
    options: DriverCallOptions = {},
  ): Promise<void> {
    if (!group.namespace) throw new DrkitError('protocol', `consistency group ${group.name} names no SVM`);
    if (containers.length === 0)
      throw new DrkitError('invalid-state', `consistency group ${group.name} holds no volumes to replicate`);
    const answer = await this.rest.send({
      method: 'POST',
      path: '/api/snapmirror/relationships',
      body: {
        source: {
          path: `${group.namespace}:/cg/${group.name}`,
          consistency_group_volumes: containers.map((c) => ({ name: c.name })),
        },
        destination: {
          path: `${target.name}:/cg/${group.name}_dr`,
          consistency_group_volumes: containers.map((c) => ({ name: `${c.name}_dr` })),
        },
        create_destination: { enabled: true },
        policy: { name: 'Asynchronous' },
        state: 'snapmirrored',
      },
      ...options,
    });
    await followJob(this.rest, answer.body, `SnapMirror of ${group.name} to ${target.name}`, options.signal);
  }

  async updateReplication(link: ReplicationLink, options: DriverCallOptions = {}): Promise<void> {
    const answer = await this.rest.send({ method: 'POST', path: `${smPath(link.id)}/transfers`, body: {}, ...options });
    await followJob(this.rest, answer.body, `SnapMirror update of ${link.target}`, options.signal);
  }

  /** Quiesce (let a running transfer finish), then break: the destination becomes writable. */
  async failover(link: ReplicationLink, options: DriverCallOptions = {}): Promise<void> {
    for (const state of ['paused', 'broken_off']) {
      const answer = await this.rest.send({ method: 'PATCH', path: smPath(link.id), body: { state }, ...options });
      await followJob(
        this.rest,
        answer.body,
        `SnapMirror ${state === 'paused' ? 'quiesce' : 'break'} of ${link.target}`,
        options.signal,
      );
    }
  }

  async resync(link: ReplicationLink, options: DriverCallOptions = {}): Promise<void> {
    const answer = await this.rest.send({
      method: 'PATCH',
      path: smPath(link.id),
      body: { state: 'snapmirrored' },
      ...options,
    });
    await followJob(this.rest, answer.body, `SnapMirror resync of ${link.target}`, options.signal);
  }

  async close(): Promise<void> {}

  async #snapshotsNamed(cgId: string, name: string, signal?: AbortSignal): Promise<ArraySnapshot[]> {
    const records = await ontapAll<CgSnapshot>(
      this.rest,
      `${cgPath(cgId)}/snapshots`,
      { fields: 'uuid,name,create_time', name },
      signal,
    );
    // The query matches ONTAP's patterns; keep exact names only.
    return records
      .filter((r) => r.name === name)
      .map((r) => ({ id: r.uuid, groupId: cgId, name: r.name, createdAt: r.create_time ?? new Date().toISOString() }));
  }
}

const cgPath = (uuid: string) => `/api/application/consistency-groups/${encodeURIComponent(uuid)}`;
const smPath = (uuid: string) => `/api/snapmirror/relationships/${encodeURIComponent(uuid)}`;
