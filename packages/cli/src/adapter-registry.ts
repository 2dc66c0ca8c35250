import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { dirTarget, isTargetDefinition, targetScheme, type TargetDefinition } from '@drkit/core/definition';
import { referenceAdapter } from '@drkit/core/definition';
import { DrkitError, isAdapterDefinition, type AdapterDefinition } from '@drkit/spec';

/**
 * The adapters this CLI knows: the built-in definitions plus any a user hands it with
 * `--adapter <module>` or DRKIT_ADAPTERS (modules separated by commas) — each module's
 * exported definitions (made with defineAdapter) join the list. Schemes in help and errors
 * come from here; nothing else in the CLI names an adapter.
 */
export interface AdapterRegistry {
  readonly definitions: readonly AdapterDefinition[];
  byScheme(scheme: string): AdapterDefinition | undefined;
  byKind(kind: string): AdapterDefinition | undefined;
  /** `vsphere://user@host[:port][/sdk], ssh://user@host[:port], …` for help and errors. */
  usage(filter?: (d: AdapterDefinition) => boolean): string;
  /** Target stores (`dir:`, `azure://`, and any a module brings), found by a location's scheme. */
  readonly targets: readonly TargetDefinition[];
  target(location: string): TargetDefinition;
  /** `dir:<path> | azure://<account>/<container>[/<prefix>]` for help. */
  targetUsage(): string;
}

// Definitions are light modules (their implementations load on create): listing them all
// costs a few milliseconds.
const BUILTIN: Array<() => Promise<AdapterDefinition>> = [
  async () => (await import('@drkit/vsphere/definition')).vsphereAdapter as AdapterDefinition,
  async () => (await import('@drkit/physical/definition')).physicalAdapter as AdapterDefinition,
  async () => (await import('@drkit/hyperv/definition')).hypervAdapter as AdapterDefinition,
  async () => (await import('@drkit/vmm/definition')).vmmAdapter as AdapterDefinition,
  async () => (await import('@drkit/san/definition')).sanAdapter as AdapterDefinition,
  async () => referenceAdapter as AdapterDefinition,
];

const BUILTIN_TARGETS: Array<() => Promise<TargetDefinition>> = [
  async () => dirTarget,
  async () => (await import('@drkit/azure/definition')).azureTarget,
];

export async function loadRegistry(modules: string[]): Promise<AdapterRegistry> {
  const definitions = await Promise.all(BUILTIN.map((load) => load()));
  const targets = await Promise.all(BUILTIN_TARGETS.map((load) => load()));
  for (const module of modules) {
    const exported = Object.values(await importModule(module));
    const found = exported.filter(isAdapterDefinition);
    for (const t of exported.filter(isTargetDefinition)) {
      if (targets.some((x) => x.scheme === t.scheme))
        throw new DrkitError('bad-input', `--adapter ${module}: target ${t.scheme}: clashes with a built-in target`);
      targets.push(t);
    }
    if (found.length === 0 && !exported.some(isTargetDefinition))
      throw new DrkitError(
        'bad-input',
        `--adapter ${module}: the module exports no adapter definition (made with defineAdapter from @drkit/spec) and no target definition (defineTarget)`,
      );
    for (const d of found) {
      const clash = definitions.find((x) => x.kind === d.kind || x.schemes.some((s) => d.schemes.includes(s)));
      if (clash)
        throw new DrkitError(
          'bad-input',
          `--adapter ${module}: ${d.kind} (${d.schemes.join(', ')}) clashes with the ${clash.kind} adapter`,
        );
      definitions.push(d);
    }
  }
  return {
    definitions,
    byScheme: (scheme) => definitions.find((d) => d.schemes.includes(scheme.toLowerCase())),
    byKind: (kind) => definitions.find((d) => d.kind === kind),
    usage: (filter = () => true) =>
      definitions
        .filter(filter)
        .map((d) => d.usage)
        .join(', '),
    targets,
    target(location) {
      const scheme = targetScheme(location);
      const t = targets.find((x) => x.scheme === scheme);
      if (!t)
        throw new DrkitError(
          'bad-input',
          `unknown target ${location}: this build knows ${targets.map((x) => x.usage).join(', ')}`,
        );
      return t;
    },
    targetUsage: () => targets.map((t) => t.usage).join(' | '),
  };
}

/** A path (relative to the working folder) or a package name resolved from it. */
async function importModule(module: string): Promise<Record<string, unknown>> {
  const target =
    module.startsWith('.') || isAbsolute(module)
      ? pathToFileURL(resolve(module)).href
      : pathToFileURL(createRequire(resolve('package.json')).resolve(module)).href;
  try {
    return (await import(target)) as Record<string, unknown>;
  } catch (error) {
    throw new DrkitError(
      'bad-input',
      `--adapter ${module}: cannot load it (${(error as Error).message.split('\n')[0]})`,
      { cause: error },
    );
  }
}

/** The modules named by --adapter (anywhere on the command line) and DRKIT_ADAPTERS. */
export function adapterModules(argv: string[], env: NodeJS.ProcessEnv): string[] {
  const out = (env.DRKIT_ADAPTERS ?? '')
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--adapter' && argv[i + 1]) out.push(argv[++i]!);
    else if (a.startsWith('--adapter=')) out.push(a.slice('--adapter='.length));
  }
  return out;
}
