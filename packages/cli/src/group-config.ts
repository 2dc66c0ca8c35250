import { readFile } from 'node:fs/promises';
import { DrkitError, type AppFailurePolicy, type Consistency } from '@drkit/core';
import type { ConnectionFlags } from './open-adapter.js';

/**
 * A group config file, for groups that span endpoints:
 *   { "consistency": "app", "policy": "fallback-to-crash",
 *     "members": [ { "endpoint": "file:///srv/site", "machine": "web" },
 *                  { "endpoint": "vsphere://dr@vc01", "machine": "db01", "thumbprint": "AB:…" } ],
 *     "arrays": [ { "endpoint": "ontap://dr@cluster1", "thumbprint": "…" } ] }
 * Only the fields below are taken: a member that could set any CLI option could also set
 * --record, --replay or a host hook.
 */
export interface GroupConfig {
  consistency?: Consistency;
  policy?: AppFailurePolicy;
  freezeBudgetMs?: number;
  members: Array<{ endpoint: string; machine: string } & EndpointFlags>;
  /**
   * Storage arrays under the members: every consistency group holding a member's LUNs
   * (matched by NAA id) joins the group, so the point includes the array's own snapshot.
   */
  arrays?: Array<{ endpoint: string } & EndpointFlags>;
}

/** How a member's endpoint is reached: TLS trust, the password file, SSH identity and host key. */
export type EndpointFlags = Pick<
  ConnectionFlags,
  'thumbprint' | 'insecure' | 'caFile' | 'passwordFile' | 'identity' | 'knownHosts' | 'fingerprint'
>;

const STRING_FLAGS = ['thumbprint', 'caFile', 'passwordFile', 'identity', 'knownHosts', 'fingerprint'] as const;
const TOP = new Set(['consistency', 'policy', 'freezeBudgetMs', 'members', 'arrays']);

export async function readGroupConfig(file: string): Promise<GroupConfig> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new DrkitError(
      'bad-input',
      `group file ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`,
      { cause: error },
    );
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DrkitError('bad-input', `group file ${file}: not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  const bad = (what: string) => new DrkitError('bad-input', `group file ${file}: ${what}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad('expected a JSON object with "members"');
  const c = value as Record<string, unknown>;
  for (const k of Object.keys(c)) if (!TOP.has(k)) throw bad(`unknown field "${k}" (expected ${[...TOP].join(', ')})`);
  if (c.consistency !== undefined && c.consistency !== 'crash' && c.consistency !== 'app')
    throw bad(`consistency ${JSON.stringify(c.consistency)}: expected "crash" or "app"`);
  if (c.policy !== undefined && c.policy !== 'require' && c.policy !== 'fallback-to-crash')
    throw bad(`policy ${JSON.stringify(c.policy)}: expected "require" or "fallback-to-crash"`);
  if (c.freezeBudgetMs !== undefined && (!Number.isInteger(c.freezeBudgetMs) || (c.freezeBudgetMs as number) < 1))
    throw bad(`freezeBudgetMs ${JSON.stringify(c.freezeBudgetMs)}: expected a whole number ≥ 1`);
  if (!Array.isArray(c.members) || c.members.length === 0) throw bad('no members');
  const members = c.members.map(
    (m, i) => endpointEntry(m, `members[${i}]`, true, bad) as GroupConfig['members'][number],
  );
  if (c.arrays !== undefined && !Array.isArray(c.arrays)) throw bad('"arrays" must be a list');
  const arrays = (c.arrays as unknown[] | undefined)?.map((a, i) => endpointEntry(a, `arrays[${i}]`, false, bad));
  return { ...(c as Partial<GroupConfig>), members, ...(arrays && { arrays }) };
}

function endpointEntry(
  value: unknown,
  where: string,
  withMachine: boolean,
  bad: (what: string) => DrkitError,
): { endpoint: string; machine?: string } & EndpointFlags {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(`${where}: expected an object`);
  const e = value as Record<string, unknown>;
  const allowed = new Set<string>(['endpoint', ...(withMachine ? ['machine'] : []), 'insecure', ...STRING_FLAGS]);
  for (const k of Object.keys(e))
    if (!allowed.has(k)) throw bad(`${where}: "${k}" cannot be set per member (allowed: ${[...allowed].join(', ')})`);
  if (typeof e.endpoint !== 'string' || !e.endpoint) throw bad(`${where}: "endpoint" must be a URL`);
  if (withMachine && (typeof e.machine !== 'string' || !e.machine))
    throw bad(`${where}: "machine" must be a machine id or name`);
  for (const k of STRING_FLAGS)
    if (e[k] !== undefined && typeof e[k] !== 'string') throw bad(`${where}: "${k}" must be a string`);
  if (e.insecure !== undefined && typeof e.insecure !== 'boolean')
    throw bad(`${where}: "insecure" must be true or false`);
  return e as { endpoint: string; machine?: string } & EndpointFlags;
}
