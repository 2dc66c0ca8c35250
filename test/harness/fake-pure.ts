import { randomBytes, randomUUID } from 'node:crypto';
import { startFakeRestServer, type FakeRequest, type FakeResponse, type FakeRestServer } from './fake-rest-server.js';

/**
 * A stand-in Pure FlashArray speaking REST 2.x as Pure's reference and py-pure-client
 * document it: `/api/api_version`, `/login` trading an API token for `x-auth-token`,
 * `items` + `continuation_token` paging, volumes, hosts, connections, protection groups and
 * their members and targets, pgroup snapshots (POST with source_names / apply_retention /
 * replicate_now, PATCH destroyed), transfers, array connections. Errors as
 * `{errors:[{message, context}]}`. No FlashArray simulator exists; this is a mock, and the
 * tests that use it say so.
 */
export interface FakePureOptions {
  /** Serve HTTPS with a self-signed certificate. */
  tls?: boolean;
  /** Server-side page size. Default 2. */
  pageSize?: number;
}

export interface FakePure extends FakeRestServer {
  apiToken: string;
  /** Ends every session: the next call with an old x-auth-token gets 401. */
  expireSessions(): void;
  logins(): number;
  snapshotNames(destroyed?: boolean): string[];
}

interface Ref {
  name: string;
  id?: string;
}
interface PgSnap {
  id: string;
  name: string;
  suffix: string;
  source: Ref;
  created: number;
  destroyed: boolean;
  replicated: boolean;
}

const VERSION = '2.21';

export async function startFakePure(options: FakePureOptions = {}): Promise<FakePure> {
  const apiToken = randomUUID();
  const pageSize = options.pageSize ?? 2;
  const sessions = new Set<string>();
  let logins = 0;
  const array = {
    id: randomUUID(),
    name: 'flasharray-1',
    os: 'Purity//FA',
    version: '6.5.8',
    capacity: 52 * 2 ** 40,
    space: { total_physical: 9 * 2 ** 40 },
  };
  const volume = (name: string, gib: number) => ({
    id: randomUUID(),
    name,
    serial: randomBytes(12).toString('hex').toUpperCase(),
    provisioned: gib * 2 ** 30,
    destroyed: false,
    created: Date.now(),
  });
  const volumes = [
    volume('sql-data', 500),
    volume('sql-log', 100),
    volume('esx-ds01', 2048),
    volume('old-scratch', 50),
  ];
  const hosts = [
    { name: 'sql01', iqns: ['iqn.1991-05.com.microsoft:sql01'], wwns: [], nqns: [], personality: null },
    { name: 'esx01', iqns: [], wwns: ['21000024FF3A1B2C'], nqns: [], personality: 'esxi' },
  ];
  const connections = [
    { host: { name: 'sql01' }, volume: { name: 'sql-data', id: volumes[0]!.id }, lun: 1 },
    { host: { name: 'sql01' }, volume: { name: 'sql-log', id: volumes[1]!.id }, lun: 2 },
    { host: { name: 'esx01' }, volume: { name: 'esx-ds01', id: volumes[2]!.id }, lun: 1 },
  ];
  const pgroups = [
    { name: 'pg-sql', source: { name: array.name }, destroyed: false, target_count: 1 },
    { name: 'pg-esx', source: { name: array.name }, destroyed: false, target_count: 0 },
    // Replicated here from another array: that array's to snapshot.
    { name: 'flasharray-2:pg-remote', source: { name: 'flasharray-2' }, destroyed: false, target_count: 0 },
  ];
  const pgVolumes = [
    { group: { name: 'pg-sql' }, member: { name: 'sql-data', id: volumes[0]!.id } },
    { group: { name: 'pg-sql' }, member: { name: 'sql-log', id: volumes[1]!.id } },
  ];
  // A pgroup with a host as member protects every volume connected to that host.
  const pgHosts = [{ group: { name: 'pg-esx' }, member: { name: 'esx01' } }];
  const targets = [{ group: { name: 'pg-sql' }, member: { name: 'flasharray-dr' }, allowed: true }];
  const arrayConnections = [
    { name: 'flasharray-dr', id: randomUUID(), status: 'connected', type: 'async-replication', version: '6.5.8' },
  ];
  const snaps: PgSnap[] = [];
  let autoSuffix = 1000;

  const err = (status: number, message: string, context?: string): FakeResponse => ({
    status,
    body: { errors: [{ message, ...(context && { context }) }] },
  });
  const list = (req: FakeRequest, rows: unknown[]): FakeResponse => {
    const start = Number(req.query.get('continuation_token') ?? 0);
    const size = Math.min(pageSize, Number(req.query.get('limit') ?? pageSize));
    const page = rows.slice(start, start + size);
    return {
      status: 200,
      body: {
        items: page,
        continuation_token: start + size < rows.length ? String(start + size) : null,
        more_items_remaining: start + size < rows.length,
        total_item_count: null,
      },
    };
  };
  const notDestroyed = <T extends { destroyed?: boolean }>(req: FakeRequest, rows: T[]) => {
    const d = req.query.get('destroyed');
    return d === null ? rows : rows.filter((r) => String(!!r.destroyed) === d);
  };

  const handle = (req: FakeRequest): FakeResponse => {
    const p = req.path;
    if (req.method === 'GET' && p === '/api/api_version')
      return { status: 200, body: { version: ['1.17', '1.19', '2.0', '2.1', '2.2', '2.4', '2.17', VERSION] } };
    if (!p.startsWith(`/api/${VERSION}/`)) return err(404, 'Not found.');
    const r = p.slice(`/api/${VERSION}/`.length);
    if (req.method === 'POST' && r === 'login') {
      if (req.headers['api-token'] !== apiToken) return err(401, 'Invalid credentials.');
      const token = randomUUID();
      sessions.add(token);
      logins++;
      return { status: 200, headers: { 'x-auth-token': token }, body: { items: [{ username: 'pureuser' }] } };
    }
    if (!sessions.has(String(req.headers['x-auth-token']))) return err(401, 'Invalid or expired session token.');
    if (req.method === 'POST' && r === 'logout') {
      sessions.delete(String(req.headers['x-auth-token']));
      return { status: 200 };
    }
    if (req.method === 'GET') {
      switch (r) {
        case 'arrays':
          return list(req, [array]);
        case 'array-connections':
          return list(req, arrayConnections);
        case 'volumes':
          return list(req, notDestroyed(req, volumes));
        case 'hosts':
          return list(req, hosts);
        case 'connections':
          return list(req, connections);
        case 'protection-groups':
          return list(req, notDestroyed(req, pgroups));
        case 'protection-groups/volumes':
          return list(req, pgVolumes);
        case 'protection-groups/hosts':
          return list(req, pgHosts);
        case 'protection-groups/targets':
          return list(req, targets);
        case 'protection-group-snapshots/transfer':
          return list(
            req,
            notDestroyed(req, snaps)
              .filter((s) => s.replicated)
              .map((s) => ({
                name: s.name,
                source: s.source,
                created: s.created,
                started: s.created + 200,
                completed: s.created + 1200,
                progress: 1,
                data_transferred: 4 * 2 ** 20,
                destroyed: s.destroyed,
              })),
          );
        case 'protection-group-snapshots': {
          const filter = req.query.get('filter');
          let rows = notDestroyed(req, snaps);
          if (filter !== null) {
            const m = /^suffix='([^']*)'$/.exec(filter);
            if (!m) return err(400, 'Invalid filter.', filter);
            rows = rows.filter((s) => s.suffix === m[1]);
          }
          return list(req, rows);
        }
      }
    }
    if (r === 'protection-groups/targets' && req.method === 'POST') {
      const group = req.query.get('group_names');
      const member = req.query.get('member_names');
      if (!pgroups.some((g) => g.name === group && g.source.name === array.name))
        return err(400, 'Protection group does not exist.', group ?? '');
      if (!arrayConnections.some((c) => c.name === member))
        return err(400, 'Array connection does not exist.', member ?? '');
      if (targets.some((t) => t.group.name === group && t.member.name === member))
        return err(400, 'Target already exists.', member!);
      // The target array has to allow the group before anything is sent.
      const row = { group: { name: group! }, member: { name: member! }, allowed: false };
      targets.push(row);
      return { status: 200, body: { items: [row] } };
    }
    if (r === 'protection-group-snapshots' && req.method === 'POST') {
      const names = req.query.get('source_names')?.split(',') ?? [];
      const suffix = (req.body as { suffix?: string } | undefined)?.suffix ?? String(autoSuffix++);
      if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/.test(suffix))
        return err(400, 'Suffix must contain only letters, numbers and dashes.', suffix);
      const made: PgSnap[] = [];
      for (const name of names) {
        const g = pgroups.find((x) => x.name === name && x.source.name === array.name);
        if (!g) return err(400, 'Protection group does not exist.', name);
        if (snaps.some((s) => s.name === `${name}.${suffix}`))
          return err(400, 'Snapshot already exists.', `${name}.${suffix}`);
        made.push({
          id: randomUUID(),
          name: `${name}.${suffix}`,
          suffix,
          source: { name, id: randomUUID() },
          created: Date.now(),
          destroyed: false,
          replicated: req.query.get('replicate_now') === 'true',
        });
      }
      snaps.push(...made);
      return { status: 200, body: { items: made.map(({ replicated: _, ...s }) => s) } };
    }
    if (r === 'protection-group-snapshots' && req.method === 'PATCH') {
      const names = req.query.get('names')?.split(',') ?? [];
      const found = names.map((n) => snaps.find((s) => s.name === n));
      if (found.some((s) => !s)) return err(400, 'Snapshot does not exist.', names.join(','));
      for (const s of found) s!.destroyed = (req.body as { destroyed?: boolean }).destroyed === true;
      return { status: 200, body: { items: found } };
    }
    return err(404, `no such endpoint ${req.method} ${p}`);
  };

  const server = await startFakeRestServer(handle, { tls: options.tls === true });
  return {
    ...server,
    apiToken,
    expireSessions: () => sessions.clear(),
    logins: () => logins,
    snapshotNames: (destroyed = false) => snaps.filter((s) => s.destroyed === destroyed).map((s) => s.name),
  };
}
