import type { Adapter } from './adapter.js';
import { DrkitError } from './errors.js';

/**
 * How an adapter is reached, which decides what the host program (the drkit CLI, or any
 * tool that embeds adapters) builds for it, once for all adapters: 'https' — an HTTP
 * transport with the TLS policy (verify, CA file, pinned thumbprint), recorded or replayed;
 * 'ssh' — an SSH session opener with the host-key policy and login, recorded or replayed;
 * 'local' — nothing (the adapter reads local files).
 */
export type ConnectionKind = 'https' | 'ssh' | 'local';

/** An endpoint URL as the adapter understands it; secrets never come from the URL. */
export interface ParsedEndpoint {
  /** For people and manifests: the URL without secrets. */
  display: string;
  /** https: the base URL to connect to (`https://host:port`). */
  url?: string;
  /** https and ssh: where to connect (redacted from recordings). */
  host?: string;
  port?: number;
  username?: string;
  /** What to ask for the secret (`password for …`, `API token for …`); none: no secret. */
  secretPrompt?: string;
  /** Anything else the adapter parsed (a path, an array family). */
  details?: Record<string, string | number | boolean>;
}

/**
 * What the host program hands an adapter's factory. `transport` is the connection kind's
 * own: an `HttpTransport` (@drkit/http) for 'https', a `() => Promise<SshRunner>` session
 * opener (@drkit/ssh) for 'ssh', undefined for 'local' — typed by each definition.
 */
export interface AdapterConnection<TTransport = unknown> {
  transport: TTransport;
  /** The secret (password or API token), asked for only when the adapter needs it. */
  secret: () => Promise<string>;
  /** The adapter's own options, as the host program parsed them (see `options`). */
  options: Record<string, unknown>;
  /** Says something to the person running the program (a warning). */
  warn: (message: string) => void;
}

/** A command-line option an adapter takes (`--disk <device>`), declared so the CLI can offer it. */
export interface AdapterOption {
  flag: string;
  description: string;
  /** Repeatable: the value is a list. */
  repeat?: boolean;
  /** A whole number ≥ 1. */
  integer?: boolean;
}

/** A recorded session's manifest, as far as a definition needs it to replay. */
export interface FixtureInfo {
  adapter: string;
  endpoint: string;
  parameters?: Record<string, string | number | boolean>;
}

export interface AdapterDefinition<TTransport = unknown> {
  readonly specificationVersion: 'v1';
  /** The adapter's kind, as `Adapter.kind` and a fixture's `adapter` say it. */
  readonly kind: string;
  /** URL schemes that reach it, without `://`. */
  readonly schemes: readonly string[];
  readonly connection: ConnectionKind;
  /** One line for help and errors: `vsphere://user@host[:port][/sdk]`. */
  readonly usage: string;
  readonly options?: readonly AdapterOption[];
  /** May load the adapter's parser lazily (hence a promise): definitions stay light. */
  parseEndpoint(endpoint: string): ParsedEndpoint | Promise<ParsedEndpoint>;
  create(endpoint: ParsedEndpoint, connection: AdapterConnection<TTransport>): Adapter | Promise<Adapter>;
  /** Builds the adapter over a replayed transport from a recorded fixture (absent: not replayable). */
  fromFixture?(fixture: FixtureInfo, connection: AdapterConnection<TTransport>): Adapter | Promise<Adapter>;
  /** Client settings a recording must keep so a replay asks the same questions (e.g. a page size). */
  recordParameters?(
    endpoint: ParsedEndpoint,
    connection: AdapterConnection<TTransport>,
  ): Record<string, string | number | boolean>;
  /** Recorded values that change on every session (tokens), so replay binds them to live ones. */
  readonly volatileTokens?: boolean;
}

const MARK = Symbol.for('drkit.adapter-definition');

/**
 * Declares an adapter for a registry (unstorage's `defineDriver`): checked once, marked so
 * a registry can tell a definition from any other export of a module.
 */
export function defineAdapter<TTransport>(definition: AdapterDefinition<TTransport>): AdapterDefinition<TTransport> {
  const bad = (why: string) =>
    new DrkitError('bad-input', `adapter definition ${JSON.stringify(definition?.kind)}: ${why}`);
  if (definition?.specificationVersion !== 'v1') throw bad('specificationVersion must be "v1"');
  if (typeof definition.kind !== 'string' || !/^[a-z][a-z0-9-]*$/.test(definition.kind))
    throw bad('kind must be a lower-case word');
  if (
    !Array.isArray(definition.schemes) ||
    definition.schemes.length === 0 ||
    definition.schemes.some((s) => !/^[a-z][a-z0-9+.-]*$/.test(s))
  )
    throw bad('schemes must be URL schemes');
  if (!['https', 'ssh', 'local'].includes(definition.connection)) throw bad('connection must be https, ssh or local');
  if (typeof definition.parseEndpoint !== 'function' || typeof definition.create !== 'function')
    throw bad('parseEndpoint and create are required');
  return Object.assign(definition, { [MARK]: true });
}

export function isAdapterDefinition(value: unknown): value is AdapterDefinition {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARK] === true;
}
