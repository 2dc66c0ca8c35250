import type { AdapterConnection, AdapterDefinition, ParsedEndpoint } from '@drkit/core';
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
  /** The live transport, made when the first adapter is: an `HttpTransport` ('https') or a session opener ('ssh'). */
  transport: () => T | Promise<T>;
  /** The endpoint as the definition's parseEndpoint would give it. */
  endpoint: ParsedEndpoint;
  secret?: () => Promise<string>;
  options?: Record<string, unknown>;
  /** Records this run into the fixture (e.g. when an environment variable asks for it); the replay then skips. */
  record?: { redactor: Redactor; endpoint: string; product?: string; notes?: string };
}

export interface RecordedContractOptions<T> extends Omit<AdapterContractOptions, 'name' | 'adapter'> {
  /** The fixture folder the replay runs against (and a recording writes). */
  fixture: string;
  live?: LiveCounterpart<T>;
}

/**
 * The contract for an adapter definition, twice: live against its counterpart (recorded into
 * the fixture when asked), then replaying the fixture through the definition's own
 * fromFixture — what every adapter's contract test used to set up by hand.
 */
export function describeRecordedContract<T>(
  definition: AdapterDefinition<T>,
  options: RecordedContractOptions<T>,
): void {
  const { fixture, live, ...contract } = options;
  const warn = (m: string) => console.warn(m);
  const connection = (transport: T, extra?: LiveCounterpart<T>): AdapterConnection<T> => ({
    transport,
    secret: extra?.secret ?? (async () => 'replay'),
    options: extra?.options ?? {},
    warn,
  });
  if (live) {
    if (live.skip)
      console.warn(`${definition.kind} live contract (${live.name}) skipped: ${live.skip}; the replay still runs`);
    describe.skipIf(!!live.skip)(`${definition.kind} against ${live.name}`, () => {
      let transport: T | undefined;
      let finish: (() => Promise<void>) | undefined;
      afterAll(async () => finish?.());
      const liveTransport = async (): Promise<T> => {
        if (transport !== undefined) return transport;
        const inner = await live.transport();
        transport = live.record ? await recorded(definition, inner, fixture, live.record, (f) => (finish = f)) : inner;
        return transport;
      };
      describeAdapterContract({
        ...contract,
        name: `${definition.kind} (${live.name})`,
        adapter: async () => definition.create(live.endpoint, connection(await liveTransport(), live)),
      });
    });
  }
  describe.skipIf(!!live?.record)(
    `${definition.kind} replaying ${fixture.replace(/\/$/, '').split('/').slice(-2).join('/')}`,
    () => {
      let replayed: T | undefined;
      describeAdapterContract({
        ...contract,
        name: `${definition.kind} (replay)`,
        adapter: async () => {
          if (!definition.fromFixture) throw new Error(`${definition.kind}: the definition has no fromFixture`);
          const manifest = await readManifest(fixture);
          replayed ??= await replayTransport(definition, fixture);
          const info = {
            adapter: manifest.adapter,
            endpoint: manifest.endpoint,
            ...(manifest.parameters && { parameters: manifest.parameters }),
          };
          return definition.fromFixture(info, connection(replayed));
        },
      });
    },
  );
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
  record: NonNullable<LiveCounterpart<T>['record']>,
  onFinish: (finish: () => Promise<void>) => void,
): Promise<T> {
  const manifest = {
    adapter: definition.kind,
    endpoint: record.endpoint,
    ...(record.product && { product: record.product }),
    ...(record.notes && { notes: record.notes }),
  };
  if (definition.connection === 'https') {
    const recorder = await recordHttp(inner as HttpTransport, fixture, record.redactor, {
      volatileTokens: definition.volatileTokens === true,
    });
    onFinish(() => recorder.finish(manifest));
    return recorder as T;
  }
  const recorder = recordSsh(inner as Opener, fixture, record.redactor);
  onFinish(() => recorder.finish(manifest));
  return (() => recorder.connect()) satisfies Opener as T;
}
