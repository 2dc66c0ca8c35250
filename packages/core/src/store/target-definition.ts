import { DrkitError } from '@drkit/spec';
import type { TargetStore } from './target-store.js';

/** A command-line option a target takes (`--blob-endpoint <url>`), declared so the CLI can offer it. */
export interface TargetOption {
  flag: string;
  description: string;
}

/** What the host program hands a target when it opens a store. */
export interface TargetOpenContext {
  /** The target's own options, as the host program parsed them (camelCase, as commander does). */
  options: Record<string, unknown>;
  /** Where credentials named by convention are looked up (AZURE_STORAGE_KEY, …). */
  env: Record<string, string | undefined>;
  warn: (message: string) => void;
  /** True for a writing command (replicate): the store may be created. Otherwise it must exist. */
  create: boolean;
  signal?: AbortSignal;
}

/**
 * A kind of target store, as adapters have definitions: the CLI's `--target`, `points`,
 * `restore` and `verify` find a store's definition by the location's scheme (`dir:`,
 * `azure://`) and know nothing else about it.
 */
export interface TargetDefinition {
  readonly specificationVersion: 'v1';
  /** The location's scheme, without `:`. */
  readonly scheme: string;
  /** One line for help and errors: `dir:<path>`. */
  readonly usage: string;
  readonly options?: readonly TargetOption[];
  /** May load the store's implementation lazily: definitions stay light. */
  open(location: string, context: TargetOpenContext): Promise<TargetStore>;
}

const MARK = Symbol.for('drkit.target-definition');

export function defineTarget(definition: TargetDefinition): TargetDefinition {
  const bad = (why: string) =>
    new DrkitError('bad-input', `target definition ${JSON.stringify(definition?.scheme)}: ${why}`);
  if (definition?.specificationVersion !== 'v1') throw bad('specificationVersion must be "v1"');
  if (typeof definition.scheme !== 'string' || !/^[a-z][a-z0-9+.-]*$/.test(definition.scheme))
    throw bad('scheme must be a URL scheme');
  if (typeof definition.open !== 'function') throw bad('open is required');
  return Object.assign(definition, { [MARK]: true });
}

export function isTargetDefinition(value: unknown): value is TargetDefinition {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARK] === true;
}

/** The scheme of a store location (`dir:/x` → dir, `azure://a/c` → azure); a bare path is a `dir:`. */
export function targetScheme(location: string): string {
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(location);
  return m && m[1]!.length > 1 ? m[1]!.toLowerCase() : 'dir';
}
