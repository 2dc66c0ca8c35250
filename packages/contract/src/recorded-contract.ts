import type { AdapterConnection, AdapterDefinition, FixtureInfo, ParsedEndpoint } from '@drkit/core';
import type { HttpTransport } from '@drkit/http';
import { type Redactor, readManifest, recordHttp, recordSsh, replayHttp, replaySsh } from '@drkit/record';
import type { SshRunner } from '@drkit/ssh';
import { afterAll, describe } from 'vitest';
import type { AdapterContractOptions } from './contract-options.js';
import { describeAdapterContract } from './describe-adapter-contract.js';

type Opener = (signal?: AbortSignal) => Promise<SshRunner>;

/** A live counterpart (a simulator, a stub host, a real server) the contract runs against first. */
export interface LiveCounterpart<T> {
  /** Shown in test names: `stub host in real pwsh`. */
  name: string;
  /** Why it cannot run here (no pwsh, not root); undefined when it can. Printed, never silent. */
  skip?: string;
  /**
   * Reaches (or starts) the counterpart, once, when the first adapter is made: a simulator
   * whose port and password are known only then is started here. Stop it in the test file's
   * own afterAll.
   */
  start: () => LiveSession<T> | Promise<LiveSession<T>>;
  /** What the live site holds, where it differs from the fixture's `expect` (read when the tests run). */
  expect?: AdapterContractOptions['expect'];
  /** Records this run into the fixture (e.g. when an environment variable asks for it); the replay then skips. */
  record?: (session: LiveSession<T>) => RecordSpec;
}

/** What a started counterpart gives the definition's `create`. */
export interface LiveSession<T> {
  /** An `HttpTransport` ('https') or a session opener ('ssh'). */
  transport: T;
  /** The endpoint as the definition's parseEndpoint would give it. */
  endpoint: ParsedEndpoint;
  secret?: () => Promise<string>;
  /** The adapter's own options, as the CLI would pass them (`{ pageSize: 7 }`). */
  options?: Record<string, unknown>;
}

export interface RecordSpec {
  redactor: Redactor;
  /** The endpoint the fixture's manifest names (redacted host names). */
  endpoint: string;
  product?: string;
  notes?: string;
  /** HTTP: record session tokens as stand-ins (default: the definition's `volatileTokens`). */
  volatileTokens?: boolean;
}

export interface RecordedContractOptions<T> extends Omit<AdapterContractOptions, 'name' | 'adapter'> {
  /** The fixture folder the replay runs against (and a recording writes). */
  fixture: string;
  live?: LiveCounterpart<T>;
  /** What the replay's test names call the fixture; its last two folder names by default. */
  fixtureName?: string;
  /**
   * The fixture holds one adapter's session (a `drkit discover --record`), not a whole
   * contract run: every adapter the suite makes replays it from its start.
   */
  oneSession?: boolean;
}

/**
 * The contract for an adapter definition, twice: live against its counterpart (recorded into
 * the fixture when asked, with the definition's own record parameters), then replaying the
 * fixture through the definition's own fromFixture — what every adapter's contract test
 * used to set up by hand.
 */
export function describeRecordedContract<T>(
  definition: AdapterDefinition<T>,
  options: RecordedContractOptions<T>,
): void {
  const { fixture, live, fixtureName, oneSession, ...contract } = options;
  const warn = (m: string) => console.warn(m);
  const connection = (transport: T, session?: LiveSession<T>): AdapterConnection<T> => ({
    transport,
    secret: session?.secret ?? (async () => 'replay'),
    options: session?.options ?? {},
    warn,
  });
  const recording = !!live?.record && !live.skip;
  if (live) {
    if (live.skip)
      console.warn(`${definition.kind} live contract (${live.name}) skipped: ${live.skip}; the replay still runs`);
    describe.skipIf(!!live.skip)(`${definition.kind} against ${live.name}`, () => {
      let started: Promise<{ session: LiveSession<T>; transport: T }> | undefined;
      const finish: Array<() => Promise<void>> = [];
      afterAll(async () => {
        for (const f of finish.splice(0)) await f();
      });
      const start = async () => {
        const session = await live.start();
        if (!live.record) return { session, transport: shared(definition, session.transport, finish) };
        const spec = live.record(session);
        const parameters = definition.recordParameters?.(session.endpoint, connection(session.transport, session));
        const transport = await recorded(definition, session.transport, fixture, spec, parameters, finish);
        return { session, transport };
      };
      describeAdapterContract({
        ...contract,
        ...(live.expect && { expect: live.expect }),
        name: `${definition.kind} (${live.name})`,
        adapter: async () => {
          const { session, transport } = await (started ??= start());
          return definition.create(session.endpoint, connection(transport, session));
        },
      });
    });
  }
  const shown = fixtureName ?? fixture.replace(/\/$/, '').split('/').slice(-2).join('/');
  describe.skipIf(recording)(`${definition.kind} replaying ${shown}`, () => {
    let replayed: T | undefined;
    let info: FixtureInfo | undefined;
    describeAdapterContract({
      ...contract,
      name: `${definition.kind} (replay of ${shown})`,
      adapter: async () => {
        if (!definition.fromFixture) throw new Error(`${definition.kind}: the definition has no fromFixture`);
        info ??= await fixtureInfo(fixture);
        replayed = oneSession
          ? await replayTransport(definition, fixture)
          : (replayed ?? (await replayTransport(definition, fixture)));
        return definition.fromFixture(info, connection(replayed));
      },
    });
  });
}

/** What a definition needs of a fixture's manifest, read once per suite. */
async function fixtureInfo(fixture: string): Promise<FixtureInfo> {
  const manifest = await readManifest(fixture);
  return {
    adapter: manifest.adapter,
    endpoint: manifest.endpoint,
    ...(manifest.parameters && { parameters: manifest.parameters }),
  };
}

async function replayTransport<T>(definition: AdapterDefinition<T>, fixture: string): Promise<T> {
  if (definition.connection === 'https') return (await replayHttp(fixture)) as T;
  if (definition.connection === 'ssh') {
    const replay = await replaySsh(fixture);
    return (() => replay.connect()) satisfies Opener as T;
  }
  throw new Error(`${definition.kind}: a local adapter has nothing to replay`);
}

async function recorded<T>(
  definition: AdapterDefinition<T>,
  inner: T,
  fixture: string,
  spec: RecordSpec,
  parameters: Record<string, string | number | boolean> | undefined,
  finish: Array<() => Promise<void>>,
): Promise<T> {
  const manifest = {
    adapter: definition.kind,
    endpoint: spec.endpoint,
    ...(spec.product && { product: spec.product }),
    ...(spec.notes && { notes: spec.notes }),
    ...(parameters && Object.keys(parameters).length > 0 && { parameters }),
  };
  if (definition.connection === 'https') {
    const recorder = await recordHttp(inner as HttpTransport, fixture, spec.redactor, {
      volatileTokens: spec.volatileTokens ?? definition.volatileTokens === true,
    });
    finish.push(() => recorder.finish(manifest));
    return shared(definition, recorder as T, finish);
  }
  const recorder = recordSsh(inner as Opener, fixture, spec.redactor);
  finish.push(() => recorder.finish(manifest));
  return (() => recorder.connect()) satisfies Opener as T;
}

/** One HTTP transport for the whole suite: each adapter's close() must not end it; afterAll does. */
function shared<T>(definition: AdapterDefinition<T>, transport: T, finish: Array<() => Promise<void>>): T {
  if (definition.connection !== 'https') return transport;
  const http = transport as HttpTransport;
  finish.push(() => http.close());
  const { getInto } = http;
  return {
    origin: http.origin,
    request: (r) => http.request(r),
    ...(getInto && { getInto: getInto.bind(http) }),
    close: async () => {},
  } satisfies HttpTransport as T;
}
