import {
  DrkitError,
  type Adapter,
  type AdapterConnection,
  type AdapterDefinition,
  type ParsedEndpoint,
} from '@drkit/core';
import type { HttpTransport, TlsPolicy } from '@drkit/http';
import type { SshRunner } from '@drkit/ssh';
import type { AdapterRegistry } from './adapter-registry.js';
import type { ConnectionFlags } from './connection-flags.js';

export type { ConnectionFlags } from './connection-flags.js';
import { passwordSource } from './password-source.js';
import { sshLogin } from './ssh-login.js';

export interface OpenedAdapter {
  adapter: Adapter;
  /** Writes the recording's manifest, when recording. */
  finish(): Promise<void>;
}

type Opener = (signal?: AbortSignal) => Promise<SshRunner>;
const noSecret = async (): Promise<string> => {
  throw new DrkitError('invalid-state', 'this endpoint takes no secret');
};

/**
 * Builds an adapter for an endpoint URL — or for a recorded fixture, with --replay — from
 * its definition in the registry. Connecting is written once per connection kind: TLS
 * trust and the HTTP transport for 'https', the SSH login for 'ssh'; recording wraps the
 * transport with the secret, user and host redacted in memory.
 */
export async function openAdapter(
  endpoint: string | undefined,
  flags: ConnectionFlags,
  warn: (line: string) => void,
  registry: AdapterRegistry,
): Promise<OpenedAdapter> {
  const options = flags as Record<string, unknown>;
  if (flags.replay) return replay(flags.replay, options, warn, registry);
  if (!endpoint) throw new DrkitError('bad-input', `give an endpoint (${registry.usage()}) or --replay <fixture dir>`);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(endpoint)?.[1]?.toLowerCase();
  const definition = scheme ? registry.byScheme(scheme) : undefined;
  if (!definition)
    throw new DrkitError(
      'bad-input',
      `unknown endpoint scheme ${scheme ?? '(none)'}: this drkit knows ${registry.usage()}`,
    );
  const ep = await definition.parseEndpoint(endpoint);
  if (definition.connection === 'local') {
    if (flags.record)
      throw new DrkitError('bad-input', `--record is for network endpoints; ${ep.display} is already on disk`);
    return {
      adapter: await definition.create(ep, { transport: undefined, secret: noSecret, options, warn }),
      finish: async () => {},
    };
  }
  const secretPrompt = ep.secretPrompt;
  // The HTTP, SSH and recording stacks load only for an endpoint (and a --record) that needs
  // them: a command on local images and stores starts ~0.1 s sooner without undici and ssh2.
  const recording = flags.record ? await import('@drkit/record') : undefined;
  if (definition.connection === 'https') {
    const { createHttpTransport } = await import('@drkit/http');
    const secret = secretPrompt ? passwordSource({ passwordFile: flags.passwordFile, prompt: secretPrompt }) : noSecret;
    let transport: HttpTransport = createHttpTransport({
      url: requireUrl(ep, definition),
      tls: await tlsPolicy(flags, warn),
      ...(flags.connections && { connections: flags.connections }),
    });
    const recorder =
      flags.record && recording
        ? await recording.recordHttp(
            transport,
            flags.record,
            new recording.Redactor({
              secrets: [await secret(), ...(ep.username ? [ep.username] : [])],
              hosts: ep.host ? [ep.host] : [],
            }),
            { volatileTokens: definition.volatileTokens === true },
          )
        : undefined;
    if (recorder) transport = recorder;
    const connection: AdapterConnection<HttpTransport> = { transport, secret, options, warn };
    const adapter = await (definition as AdapterDefinition<HttpTransport>).create(ep, connection);
    return {
      adapter,
      finish: async () => recorder?.finish(await manifestOf(definition, adapter, ep, connection)),
    };
  }
  const { SshSession } = await import('@drkit/ssh');
  const { ssh, password } = await sshLogin(
    { host: ep.host ?? '', port: ep.port ?? 22, username: ep.username ?? '', display: ep.display },
    flags,
    warn,
  );
  const secret = password !== undefined ? async () => password : noSecret;
  const recorder =
    flags.record && recording
      ? recording.recordSsh(
          () => SshSession.open(ssh),
          flags.record,
          new recording.Redactor({ secrets: password ? [password] : [], hosts: ep.host ? [ep.host] : [] }),
        )
      : undefined;
  const transport: Opener = recorder
    ? () => recorder.connect()
    : (signal) => SshSession.open(ssh, { ...(signal && { signal }) });
  const connection: AdapterConnection<Opener> = { transport, secret, options, warn };
  const adapter = await (definition as AdapterDefinition<Opener>).create(ep, connection);
  return {
    adapter,
    finish: async () => recorder?.finish(await manifestOf(definition, adapter, ep, connection)),
  };
}

/** A recorded session: the fixture names its adapter kind; the transport is its connection kind's replayer. */
async function replay(
  dir: string,
  options: Record<string, unknown>,
  warn: (line: string) => void,
  registry: AdapterRegistry,
): Promise<OpenedAdapter> {
  const { readManifest, replayHttp, replaySsh } = await import('@drkit/record');
  const manifest = await readManifest(dir);
  const definition = registry.byKind(manifest.adapter);
  if (!definition?.fromFixture)
    throw new DrkitError('bad-input', `${dir}: no replay support for ${manifest.adapter} fixtures`);
  const fixture = {
    adapter: manifest.adapter,
    endpoint: manifest.endpoint,
    ...(manifest.parameters && { parameters: manifest.parameters }),
  };
  // Replay compares requests with credentials redacted, so any secret matches.
  const secret = async () => 'replay';
  if (definition.connection === 'https') {
    const adapter = await (definition as AdapterDefinition<HttpTransport>).fromFixture!(fixture, {
      transport: await replayHttp(dir),
      secret,
      options,
      warn,
    });
    return { adapter, finish: async () => {} };
  }
  if (definition.connection === 'ssh') {
    const session = await replaySsh(dir);
    const adapter = await (definition as AdapterDefinition<Opener>).fromFixture!(fixture, {
      transport: () => session.connect(),
      secret,
      options,
      warn,
    });
    return { adapter, finish: async () => {} };
  }
  throw new DrkitError('bad-input', `${dir}: ${manifest.adapter} endpoints are local; there is nothing to replay`);
}

async function manifestOf<T>(
  definition: AdapterDefinition<T>,
  adapter: Adapter,
  ep: ParsedEndpoint,
  connection: AdapterConnection<T>,
) {
  const { Redactor } = await import('@drkit/record');
  const site = adapter.site;
  return {
    adapter: definition.kind,
    endpoint: new Redactor({ hosts: ep.host ? [ep.host] : [] }).text(ep.display),
    ...(site.product && { product: site.product }),
    ...(site.version && { version: site.version }),
    notes: 'recorded with drkit --record',
    parameters: definition.recordParameters?.(ep, connection) ?? {},
  };
}

function requireUrl(ep: ParsedEndpoint, definition: AdapterDefinition): string {
  if (!ep.url)
    throw new DrkitError('bad-input', `the ${definition.kind} adapter gave no URL to connect to for ${ep.display}`);
  return ep.url;
}

async function tlsPolicy(flags: ConnectionFlags, warn: (line: string) => void): Promise<TlsPolicy> {
  const { chooseTlsPolicy } = await import('@drkit/http');
  return chooseTlsPolicy(
    {
      ...flags,
      names: { caFile: '--ca-file', thumbprint: '--thumbprint', insecure: '--insecure' },
      exposes: 'the password',
    },
    warn,
  );
}
