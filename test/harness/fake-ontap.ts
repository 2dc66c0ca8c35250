import { randomUUID } from 'node:crypto';
import {
  at,
  pick,
  startFakeRestServer,
  type BusyFault,
  type FakeRequest,
  type FakeResponse,
  type FakeRestServer,
} from './fake-rest-server.js';

/**
 * A stand-in ONTAP 9.13 cluster speaking the REST API as NetApp's reference documents it
 * (/api/cluster, storage/luns, storage/volumes, protocols/san/igroups,
 * application/consistency-groups and their snapshots — one- and two-phase — snapmirror,
 * cluster/jobs): Basic auth, `fields=` projection, `max_records` paging with `_links.next`,
 * 202 + job for every change, jobs that run for a few polls. No simulator of ONTAP exists;
 * this is a mock, and the tests that use it say so.
 */
export interface FakeOntapOptions {
  /** Serve HTTPS with a self-signed certificate. */
  tls?: boolean;
  username?: string;
  password?: string;
  /** Server-side page size, to exercise paging. Default 2. */
  pageSize?: number;
  /** `running` answers a job gives before it ends. Default 1. */
  jobPolls?: number;
  /** Extra consistency groups, each of two FlexVols with one LUN each, for benches. Default 0. */
  extraGroups?: number;
  /** Delay before every answer, ms: a management network and a busy array. Default 0. */
  latencyMs?: number;
  /** Version as `[generation, major, minor]`. Default 9.13.1. */
  version?: [number, number, number];
}

export interface FakeOntap extends FakeRestServer {
  username: string;
  password: string;
  /** The next commit of a snapshot of this group fails (its job ends in failure). */
  failNextCommit(cgName: string): void;
  busyOnce(fault: BusyFault): void;
  /** Snapshot names per group, committed ones only. */
  snapshotsOf(cgName: string): string[];
  /** Snapshot names started but neither committed nor removed. */
  pendingStarts(): string[];
  relationshipState(): string;
}

interface Snap {
  uuid: string;
  name: string;
  create_time: string;
  committed: boolean;
  fenceEnds: number;
  comment?: string;
  consistency_type?: string;
}
interface Job {
  uuid: string;
  polls: number;
  state: 'success' | 'failure';
  message: string;
  code: number;
  then?: () => void;
}

const RESERVED = new Set([
  'fields',
  'max_records',
  'return_timeout',
  'return_records',
  'action',
  'action_timeout',
  'list_destinations_only',
  'start',
]);

export async function startFakeOntap(options: FakeOntapOptions = {}): Promise<FakeOntap> {
  const username = options.username ?? 'drkit-admin';
  const password = options.password ?? `pw-${randomUUID()}`;
  const pageSize = options.pageSize ?? 2;
  const [gen, major, minor] = options.version ?? [9, 13, 1];
  const svm = { name: 'svm1', uuid: randomUUID() };
  const flexvol = (name: string, size: number) => ({
    uuid: randomUUID(),
    name,
    style: 'flexvol',
    svm,
    space: { size, available: Math.floor(size * 0.6) },
  });
  const extra = Array.from({ length: options.extraGroups ?? 0 }, (_, g) => [`app${g}_data`, `app${g}_log`]).flat();
  const vols = ['db_data', 'db_log', 'web_data', 'scratch', ...extra].map((n, i) =>
    flexvol(n, ((i % 4) + 1) * 100 * 2 ** 30),
  );
  const serials = vols.map((_, i) => `wCVovB3D${i.toString(36).padStart(4, '0')}`);
  serials.splice(0, 4, 'wCVovB3Ds7Lk', 'wCVovB3Ds7Ll', 'wCVovB3Ds7Lm', 'wCVovB3Ds7Ln');
  const luns = vols.map((v, i) => ({
    uuid: randomUUID(),
    name: `/vol/${v.name}/lun0`,
    serial_number: serials[i]!,
    svm,
    os_type: 'linux',
    space: { size: (i + 1) * 50 * 2 ** 30 },
    location: { volume: { uuid: v.uuid, name: v.name }, logical_unit: 'lun0' },
  }));
  const igroup = (name: string, iqn: string, lunIdx: number[]) => ({
    uuid: randomUUID(),
    name,
    svm,
    protocol: 'iscsi',
    os_type: 'linux',
    initiators: [{ name: iqn }],
    lun_maps: lunIdx.map((i, n) => ({ lun: { uuid: luns[i]!.uuid, name: luns[i]!.name }, logical_unit_number: n })),
  });
  const igroups = [
    igroup('db_hosts', 'iqn.1994-05.com.redhat:db01', [0, 1]),
    igroup('web_hosts', 'iqn.1994-05.com.redhat:web01', [2]),
  ];
  const cg = (name: string, idx: number[]) => ({
    uuid: randomUUID(),
    name,
    svm,
    volumes: idx.map((i) => ({ uuid: vols[i]!.uuid, name: vols[i]!.name })),
  });
  const cgs = [
    cg('cg_db', [0, 1]),
    cg('cg_web', [2]),
    ...Array.from({ length: options.extraGroups ?? 0 }, (_, g) => cg(`cg_app${g}`, [4 + 2 * g, 5 + 2 * g])),
  ];
  const snaps = new Map<string, Snap[]>(cgs.map((c) => [c.uuid, []]));
  const jobs = new Map<string, Job>();
  const failCommit = new Set<string>();
  const relationship = {
    uuid: randomUUID(),
    source: { path: 'svm1:/cg/cg_db', svm: { name: 'svm1' } },
    destination: { path: 'svm_dr:/cg/cg_db_dst', svm: { name: 'svm_dr' } },
    policy: { name: 'Asynchronous', type: 'async' },
    state: 'snapmirrored',
    healthy: true,
    unhealthy_reason: [] as Array<{ message: string }>,
    lag_time: 'PT15M12S',
    transfer: { state: 'success', end_time: '2026-11-20T10:15:00+00:00' },
  };
  type Relationship = typeof relationship;
  const relationships: Relationship[] = [relationship];
  const peeredSvms = new Set(['svm_dr']);

  const job = (state: Job['state'], message: string, code = 0, then?: () => void): FakeResponse => {
    const j: Job = { uuid: randomUUID(), polls: options.jobPolls ?? 1, state, message, code, ...(then && { then }) };
    jobs.set(j.uuid, j);
    return { status: 202, body: { job: { uuid: j.uuid, _links: { self: { href: `/api/cluster/jobs/${j.uuid}` } } } } };
  };
  const fault = (status: number, message: string, code: string): FakeResponse => ({
    status,
    body: { error: { message, code } },
  });

  /** A collection answer: filters, projection, one page and the link to the next. */
  const collection = (req: FakeRequest, records: unknown[]): FakeResponse => {
    let rows = records;
    for (const [key, value] of req.query) {
      if (RESERVED.has(key) || key.startsWith('start.')) continue;
      rows = rows.filter((r) => String(at(r, key)) === value);
    }
    const fields = req.query.get('fields')?.split(',') ?? ['uuid', 'name'];
    const start = Number(req.query.get('start.index') ?? 0);
    const size = Math.min(pageSize, Number(req.query.get('max_records') ?? pageSize));
    const page = rows.slice(start, start + size);
    const body: Record<string, unknown> = {
      records: page.map((r) => pick(r, ['uuid', 'name', ...fields])),
      num_records: page.length,
    };
    if (start + size < rows.length) {
      const next = new URLSearchParams(req.query);
      next.set('start.index', String(start + size));
      body._links = { next: { href: `${req.path}?${next}` } };
    }
    return { status: 200, body };
  };

  const handle = (req: FakeRequest): FakeResponse => {
    const auth = req.headers.authorization ?? '';
    if (auth !== `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`)
      return fault(401, 'not authorized for that command', '6');
    const p = req.path;
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && p === '/api/cluster') {
      return {
        status: 200,
        body: pick(
          {
            name: 'cluster1',
            uuid: clusterUuid,
            version: {
              full: `NetApp Release ${gen}.${major}.${minor}P6: Tue Jul 23 2024`,
              generation: gen,
              major,
              minor,
            },
          },
          req.query.get('fields')?.split(',') ?? ['name', 'uuid'],
        ),
      };
    }
    if (req.method === 'GET' && p === '/api/cluster/licensing/licenses')
      return collection(req, [
        { name: 'snapmirror', state: 'compliant', scope: 'node' },
        { name: 'nfs', state: 'compliant' },
      ]);
    if (req.method === 'GET' && p === '/api/storage/luns') return collection(req, luns);
    if (req.method === 'GET' && p === '/api/storage/volumes') return collection(req, vols);
    if (req.method === 'GET' && p === '/api/protocols/san/igroups') return collection(req, igroups);
    if (req.method === 'GET' && p === '/api/application/consistency-groups') return collection(req, cgs);
    if ((m = /^\/api\/cluster\/jobs\/([\w-]+)$/.exec(p))) {
      const j = jobs.get(m[1]!);
      if (!j) return fault(404, "entry doesn't exist", '4');
      if (j.polls-- > 0) return { status: 200, body: { uuid: j.uuid, state: 'running', message: 'in progress' } };
      if (j.state === 'success') j.then?.();
      // biome-ignore lint/suspicious/noThenProperty: the job's completion callback, not a thenable
      j.then = undefined;
      return {
        status: 200,
        body: {
          uuid: j.uuid,
          state: j.state,
          message: j.message,
          code: j.code,
          ...(j.state === 'failure' && { error: { message: j.message, code: String(j.code) } }),
        },
      };
    }
    if ((m = /^\/api\/application\/consistency-groups\/([\w-]+)\/snapshots(?:\/([\w-]+))?$/.exec(p))) {
      const group = cgs.find((c) => c.uuid === m![1]);
      if (!group) return fault(404, 'consistency group not found', '53411842');
      const list = snaps.get(group.uuid)!;
      const uuid = m[2];
      if (req.method === 'GET' && !uuid)
        return collection(
          req,
          list.filter((s) => s.committed || s.fenceEnds > Date.now()),
        );
      if (req.method === 'POST' && !uuid) {
        const body = req.body as { name?: string; consistency_type?: string; comment?: string };
        if (!body?.name) return fault(400, 'name is required', '2');
        if (list.some((s) => s.name === body.name))
          return fault(409, `snapshot ${body.name} already exists`, '1638600');
        const twoPhase = req.query.get('action') === 'start';
        const timeout = Number(req.query.get('action_timeout') ?? 7);
        if (twoPhase && (timeout < 1 || timeout > 90))
          return fault(400, 'action_timeout must be between 1 and 90', '53411870');
        const snap: Snap = {
          uuid: randomUUID(),
          name: body.name,
          create_time: new Date().toISOString(),
          committed: !twoPhase,
          fenceEnds: Date.now() + timeout * 1000,
          ...body,
        };
        return job('success', 'success', 0, () => list.push(snap));
      }
      const snap = list.find((s) => s.uuid === uuid);
      if (!snap) return fault(404, 'snapshot not found', '53411843');
      if (req.method === 'PATCH' && req.query.get('action') === 'commit') {
        if (snap.committed) return fault(400, 'snapshot already committed', '53411871');
        const late = Date.now() > snap.fenceEnds;
        if (late || failCommit.delete(group.name)) {
          list.splice(list.indexOf(snap), 1);
          return job(
            'failure',
            late
              ? 'Failed to commit the snapshot: the write fence timed out.'
              : 'Failed to commit the snapshot: a volume in the group is offline.',
            53411872,
          );
        }
        return job('success', 'success', 0, () => (snap.committed = true));
      }
      if (req.method === 'DELETE') return job('success', 'success', 0, () => list.splice(list.indexOf(snap), 1));
    }
    if (req.method === 'GET' && p === '/api/snapmirror/relationships') {
      // This cluster is the source: only list_destinations_only shows the relationship.
      return collection(req, req.query.get('list_destinations_only') === 'true' ? relationships : []);
    }
    if (req.method === 'POST' && p === '/api/snapmirror/relationships') {
      const body = req.body as {
        source?: { path?: string; consistency_group_volumes?: Array<{ name: string }> };
        destination?: { path?: string };
        state?: string;
      };
      const src = /^(\w+):\/cg\/(\w+)$/.exec(body?.source?.path ?? '');
      const dst = /^(\w+):\/cg\/(\w+)$/.exec(body?.destination?.path ?? '');
      const group = src && cgs.find((c) => c.name === src[2] && c.svm.name === src[1]);
      if (!group || !dst)
        return fault(400, 'source.path and destination.path must name consistency groups as svm:/cg/name', '13303841');
      const names = (body.source?.consistency_group_volumes ?? []).map((v) => v.name).sort();
      if (
        names.join() !==
        group.volumes
          .map((v) => v.name)
          .sort()
          .join()
      )
        return fault(
          400,
          'source.consistency_group_volumes must list every volume of the consistency group',
          '13303842',
        );
      if (!peeredSvms.has(dst[1]!))
        return fault(400, `SVM peer relationship between svm1 and ${dst[1]} does not exist`, '13303847');
      if (relationships.some((r) => r.destination.path === body.destination!.path))
        return fault(409, 'destination is already in a relationship', '13303808');
      const initialize = body.state === 'snapmirrored';
      return job('success', 'success', 0, () =>
        relationships.push({
          ...relationship,
          uuid: randomUUID(),
          source: { path: body.source!.path!, svm: { name: src[1]! } },
          destination: { path: body.destination!.path!, svm: { name: dst[1]! } },
          state: initialize ? 'snapmirrored' : 'uninitialized',
          healthy: initialize,
          lag_time: 'PT2S',
          transfer: { state: 'success', end_time: new Date().toISOString() },
        }),
      );
    }
    if ((m = /^\/api\/snapmirror\/relationships\/([\w-]+)(\/transfers)?$/.exec(p))) {
      const rel = relationships.find((r) => r.uuid === m![1]);
      if (!rel) return fault(404, 'relationship not found', '13303812');
      if (req.method === 'POST' && m[2]) {
        if (rel.state !== 'snapmirrored') return fault(409, `transfer not possible in state ${rel.state}`, '13303819');
        return job('success', 'success', 0, () => {
          rel.lag_time = 'PT1S';
        });
      }
      if (req.method === 'PATCH' && !m[2]) {
        const state = (req.body as { state?: string })?.state;
        const allowed: Record<string, string[]> = {
          paused: ['snapmirrored'],
          broken_off: ['paused', 'snapmirrored'],
          snapmirrored: ['broken_off', 'paused'],
        };
        if (!state || !allowed[state]) return fault(400, `invalid state ${state}`, '2');
        if (!allowed[state]!.includes(rel.state))
          return fault(409, `cannot go from ${rel.state} to ${state}`, '13303818');
        return job('success', 'success', 0, () => {
          rel.state = state;
          rel.healthy = state !== 'broken_off';
        });
      }
    }
    return fault(404, `no such endpoint ${req.method} ${p}`, '3');
  };

  const clusterUuid = randomUUID();
  const server = await startFakeRestServer(handle, { tls: options.tls === true, latencyMs: options.latencyMs ?? 0 });
  return {
    ...server,
    username,
    password,
    failNextCommit: (name) => failCommit.add(name),
    snapshotsOf: (name) =>
      snaps
        .get(cgs.find((c) => c.name === name)!.uuid)!
        .filter((s) => s.committed)
        .map((s) => s.name),
    pendingStarts: () =>
      [...snaps.values()]
        .flat()
        .filter((s) => !s.committed && s.fenceEnds > Date.now())
        .map((s) => s.name),
    relationshipState: () => relationship.state,
  };
}
