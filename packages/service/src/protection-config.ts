import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DrkitError, validatePolicy, type AppFailurePolicy, type ReplicationPolicy } from '@drkit/core';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { parseBytes, parseDuration, parseWindow, type DailyWindow } from './config-units.js';
import { PROTECTION_CONFIG_SCHEMA } from './protection-config-schema.js';

/** How an endpoint is reached, as in a `--group` file: TLS trust, password file, SSH identity and host key. */
export interface EndpointEntry {
  endpoint: string;
  thumbprint?: string;
  insecure?: boolean;
  caFile?: string;
  passwordFile?: string;
  identity?: string;
  knownHosts?: string;
  fingerprint?: string;
}

export interface ProtectionGroup {
  name: string;
  target: string;
  /** The target's options (camelCase flag names); file paths resolved against the config's folder. */
  targetOptions: Record<string, unknown>;
  members: Array<EndpointEntry & { machine: string }>;
  arrays: EndpointEntry[];
  /** Default `fallback-to-crash`. */
  appFailure: AppFailurePolicy;
  freezeBudgetMs?: number;
  changeTracking: boolean;
  policy: ReplicationPolicy;
  resyncWindow?: DailyWindow;
  maxBytesPerSecond?: number;
  /** Digest of the group's entry: a group waiting for an operator leaves that state when it changes. */
  digest: string;
}

export interface ProtectionConfig {
  file: string;
  stateDir: string;
  service: { maxRuns: number; perEndpoint: number; stopDeadlineMs: number };
  alerts: { webhook?: { url: string; secretFile?: string } };
  metrics?: { host: string; port: number };
  groups: ProtectionGroup[];
}

const PATH_FLAGS = ['caFile', 'passwordFile', 'identity', 'knownHosts'] as const;

let validator: ReturnType<Ajv2020['compile']> | undefined;

/** Reads a YAML or JSON protection config; every problem is a `bad-input` naming the file and the field. */
export async function readProtectionConfig(file: string): Promise<ProtectionConfig> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new DrkitError('bad-input', `${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`, {
      cause: error,
    });
  });
  let value: unknown;
  try {
    value = parseYaml(text); // YAML is a superset of JSON: one parser reads both
  } catch (error) {
    throw new DrkitError('bad-input', `${file}: not valid YAML or JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  return parseProtectionConfig(value, resolve(file));
}

export function parseProtectionConfig(value: unknown, file: string): ProtectionConfig {
  validator ??= new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile(PROTECTION_CONFIG_SCHEMA);
  if (!validator(value)) {
    const lines = (validator.errors ?? []).slice(0, 8).map((e) => {
      const where = e.instancePath ? e.instancePath.slice(1).replaceAll('/', '.') : '(top)';
      const extra =
        e.keyword === 'additionalProperties'
          ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"`
          : e.keyword === 'enum'
            ? `: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`
            : '';
      return `${where}: ${e.message}${extra}`;
    });
    throw new DrkitError('bad-input', `${file}: ${lines.join('; ')}`);
  }
  const raw = value as RawConfig;
  const base = dirname(file);
  const problems: string[] = [];
  const duration = (text: string | undefined, where: string) => {
    if (text === undefined) return undefined;
    const ms = parseDuration(text);
    if (ms === undefined || ms <= 0) problems.push(`${where}: "${text}" is not a duration (90s, 5m, 4h, 1h30m)`);
    return ms;
  };
  const names = new Set<string>();
  const groups = raw.groups.map((g, i): ProtectionGroup => {
    const where = `groups.${i}`;
    if (names.has(g.name)) problems.push(`${where}.name: "${g.name}" is used by two groups`);
    names.add(g.name);
    const p = g.policy ?? {};
    const policyInput = {
      crashIntervalMs: duration(p.crashInterval, `${where}.policy.crashInterval`),
      appIntervalMs: duration(p.appInterval, `${where}.policy.appInterval`),
      retentionMs: duration(p.retention, `${where}.policy.retention`),
      rpoThresholdMs: duration(p.rpoThreshold, `${where}.policy.rpoThreshold`),
    };
    let policy: ReplicationPolicy | undefined;
    try {
      policy = validatePolicy(
        Object.fromEntries(
          Object.entries(policyInput).filter(([, v]) => v !== undefined),
        ) as Partial<ReplicationPolicy>,
      );
    } catch (error) {
      problems.push(`${where}.policy: ${(error as Error).message.replace(/^replication policy: /, '')}`);
    }
    const resyncWindow = p.resyncWindow === undefined ? undefined : parseWindow(p.resyncWindow);
    if (p.resyncWindow !== undefined && !resyncWindow)
      problems.push(`${where}.policy.resyncWindow: "${p.resyncWindow}" is not a window like 22:00-04:00`);
    const maxBytesPerSecond = p.maxRate === undefined ? undefined : parseBytes(p.maxRate);
    if (p.maxRate !== undefined && !maxBytesPerSecond)
      problems.push(`${where}.policy.maxRate: "${p.maxRate}" is not a size per second (50MiB, 1GB)`);
    const freezeBudgetMs = duration(g.freezeBudget, `${where}.freezeBudget`);
    return {
      name: g.name,
      target: g.target.startsWith('dir:') ? `dir:${resolve(base, g.target.slice(4))}` : g.target,
      targetOptions: Object.fromEntries(
        Object.entries(g.targetOptions ?? {}).map(([k, v]) => [
          k,
          typeof v === 'string' && /File$/.test(k) ? resolve(base, v) : v,
        ]),
      ),
      members: g.members.map((m) => withPaths(m, base)),
      arrays: (g.arrays ?? []).map((a) => withPaths(a, base)),
      // Unattended, an app point that cannot be had must not hold back the crash points behind
      // it: the point is taken crash-consistent and says why (`require` makes it a failure).
      appFailure: g.appFailure ?? 'fallback-to-crash',
      ...(freezeBudgetMs !== undefined && { freezeBudgetMs }),
      changeTracking: g.changeTracking ?? true,
      policy: policy!,
      ...(resyncWindow && { resyncWindow }),
      ...(maxBytesPerSecond && { maxBytesPerSecond }),
      digest: createHash('sha256').update(JSON.stringify(g)).digest('hex').slice(0, 16),
    };
  });
  const s = raw.service ?? {};
  const stopDeadlineMs = duration(s.stopDeadline, 'service.stopDeadline') ?? 60_000;
  let metrics: ProtectionConfig['metrics'];
  if (raw.metrics) {
    const m = /^(.+):(\d{1,5})$/.exec(raw.metrics.listen);
    if (!m || Number(m[2]) > 65535) problems.push(`metrics.listen: "${raw.metrics.listen}" is not host:port`);
    else metrics = { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
  }
  const secretFile = raw.alerts?.webhook?.secretFile;
  if (problems.length > 0) throw new DrkitError('bad-input', `${file}: ${problems.join('; ')}`);
  return {
    file,
    stateDir: resolve(base, raw.state ?? 'drkit-state'),
    service: { maxRuns: s.maxRuns ?? 4, perEndpoint: s.perEndpoint ?? 2, stopDeadlineMs },
    alerts: raw.alerts?.webhook
      ? { webhook: { url: raw.alerts.webhook.url, ...(secretFile && { secretFile: resolve(base, secretFile) }) } }
      : {},
    ...(metrics && { metrics }),
    groups,
  };
}

function withPaths<T extends EndpointEntry>(entry: T, base: string): T {
  const out = { ...entry };
  for (const k of PATH_FLAGS) if (out[k] !== undefined) out[k] = resolve(base, out[k]!);
  return out;
}

interface RawConfig {
  state?: string;
  service?: { maxRuns?: number; perEndpoint?: number; stopDeadline?: string };
  alerts?: { webhook?: { url: string; secretFile?: string } };
  metrics?: { listen: string };
  groups: Array<{
    name: string;
    target: string;
    targetOptions?: Record<string, string | boolean | number>;
    members: Array<EndpointEntry & { machine: string }>;
    arrays?: EndpointEntry[];
    appFailure?: AppFailurePolicy;
    freezeBudget?: string;
    changeTracking?: boolean;
    policy?: {
      crashInterval?: string;
      appInterval?: string;
      retention?: string;
      rpoThreshold?: string;
      resyncWindow?: string;
      maxRate?: string;
    };
  }>;
}
