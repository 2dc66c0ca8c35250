import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import { DrkitError } from '@drkit/core';
import { ENDPOINT_PROPERTIES } from '@drkit/service';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import type { EndpointFlags } from './group-config.js';

export type PlanAction = { command: string } | { pause: string } | { waitForPort: number; timeoutSeconds: number };

export interface PlanMachine {
  /** The machine in the point: its name or id. */
  machine: string;
  /** The recovered machine's name (default: the source's; a test failover adds `-test`). */
  name?: string;
  cpuCount?: number;
  memoryMB?: number;
}

/** A recovery plan: where machines come up, in which order, on which networks, with what in between. */
export interface RecoveryPlan {
  name: string;
  target: { endpoint: string } & EndpointFlags;
  /** Where the machines run now (a planned failover's shutdown and final point). */
  source?: { endpoint: string } & EndpointFlags;
  placement: { datacenter?: string; datastore?: string; pool?: string };
  networkMap: Record<string, string>;
  /** Where every NIC goes in a test failover, away from production. */
  testNetwork?: string;
  groups: Array<{
    name: string;
    machines: PlanMachine[];
    pre: PlanAction[];
    post: PlanAction[];
    continueOnError: boolean;
  }>;
}

const action = {
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['command'],
      properties: { command: { type: 'string', minLength: 1 } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['pause'],
      properties: { pause: { type: 'string', minLength: 1 } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['waitForPort'],
      properties: {
        waitForPort: { type: 'integer', minimum: 1, maximum: 65535 },
        timeoutSeconds: { type: 'integer', minimum: 1 },
      },
    },
  ],
} as const;

/** An endpoint and how it is reached (trust, login files), as a protection config's member says it. */
const endpoint = {
  type: 'object',
  additionalProperties: false,
  required: ['endpoint'],
  properties: ENDPOINT_PROPERTIES,
} as const;

export const RECOVERY_PLAN_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'drkit recovery plan',
  type: 'object',
  additionalProperties: false,
  required: ['target', 'groups'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,40}$' },
    target: endpoint,
    // Where the machines run now: a planned failover shuts them down there and takes a final point.
    source: endpoint,
    placement: {
      type: 'object',
      additionalProperties: false,
      properties: { datacenter: { type: 'string' }, datastore: { type: 'string' }, pool: { type: 'string' } },
    },
    networkMap: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
    testNetwork: { type: 'string', minLength: 1 },
    groups: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'machines'],
        properties: {
          name: { type: 'string', minLength: 1 },
          machines: {
            type: 'array',
            minItems: 1,
            items: {
              oneOf: [
                { type: 'string', minLength: 1 },
                {
                  type: 'object',
                  additionalProperties: false,
                  required: ['machine'],
                  properties: {
                    machine: { type: 'string', minLength: 1 },
                    name: { type: 'string', minLength: 1, maxLength: 80 },
                    cpuCount: { type: 'integer', minimum: 1 },
                    memoryMB: { type: 'integer', minimum: 4 },
                  },
                },
              ],
            },
          },
          pre: { type: 'array', items: action },
          post: { type: 'array', items: action },
          continueOnError: { type: 'boolean' },
        },
      },
    },
  },
} as const;

let validate: ReturnType<Ajv2020['compile']> | undefined;

/** Reads and checks a plan (YAML or JSON); every problem is a `bad-input` naming the field, before anything changes. */
export async function readRecoveryPlan(file: string): Promise<RecoveryPlan> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new DrkitError('bad-input', `${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  });
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new DrkitError('bad-input', `${file}: not valid YAML or JSON (${(error as Error).message})`);
  }
  validate ??= new Ajv2020({ allErrors: true, strict: true }).compile(RECOVERY_PLAN_SCHEMA);
  if (!validate(value)) {
    const problems = (validate.errors ?? [])
      .filter((e) => e.keyword !== 'oneOf')
      .slice(0, 6)
      .map(
        (e) =>
          `${e.instancePath.slice(1).replaceAll('/', '.') || '(top)'}: ${e.message}${e.keyword === 'additionalProperties' ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : ''}`,
      );
    throw new DrkitError('bad-input', `${file}: ${problems.join('; ')}`);
  }
  const raw = value as {
    name?: string;
    target: RecoveryPlan['target'];
    source?: RecoveryPlan['target'];
    placement?: RecoveryPlan['placement'];
    networkMap?: Record<string, string>;
    testNetwork?: string;
    groups: Array<{
      name: string;
      machines: Array<string | PlanMachine>;
      pre?: RawAction[];
      post?: RawAction[];
      continueOnError?: boolean;
    }>;
  };
  const base = dirname(resolve(file));
  const withPaths = (e: RecoveryPlan['target']) => {
    const out = { ...e };
    for (const k of ['caFile', 'passwordFile', 'identity', 'knownHosts'] as const)
      if (out[k]) out[k] = resolve(base, out[k]!);
    return out;
  };
  const target = withPaths(raw.target);
  const seen = new Set<string>();
  const groups = raw.groups.map((g, i) => ({
    name: g.name,
    machines: g.machines.map((m, j) => {
      const entry = typeof m === 'string' ? { machine: m } : m;
      if (seen.has(entry.machine))
        throw new DrkitError('bad-input', `${file}: groups.${i}.machines.${j}: ${entry.machine} is in the plan twice`);
      seen.add(entry.machine);
      return entry;
    }),
    pre: (g.pre ?? []).map(toAction),
    post: (g.post ?? []).map(toAction),
    continueOnError: g.continueOnError ?? false,
  }));
  return {
    name:
      raw.name ??
      basename(file, extname(file))
        .replace(/[^A-Za-z0-9._-]/g, '-')
        .slice(0, 40),
    target,
    ...(raw.source && { source: withPaths(raw.source) }),
    placement: raw.placement ?? {},
    networkMap: raw.networkMap ?? {},
    ...(raw.testNetwork && { testNetwork: raw.testNetwork }),
    groups,
  };
}

type RawAction = { command: string } | { pause: string } | { waitForPort: number; timeoutSeconds?: number };

function toAction(a: RawAction): PlanAction {
  return 'waitForPort' in a ? { waitForPort: a.waitForPort, timeoutSeconds: a.timeoutSeconds ?? 300 } : a;
}
