import { createContainerView, destroyView } from './vsphere-views.js';
import { DrkitError, type DiscoverOptions, type InventoryEntryKind, type InventoryItem } from '@drkit/core';
import type { Vim25Client } from './vim25-client.js';
import { mapCluster, mapHost, mapMachine, mapNetwork, mapStorage } from './vsphere-inventory-mapper.js';
import { INFRA_PROPERTIES, INFRA_VIEW_TYPES, VM_PROPERTIES } from './vsphere-inventory-spec.js';
import { retrieveFromView, retrieveObject, type ObjectContent } from './vsphere-property-collector.js';
import type { ServiceContent } from './vsphere-service-content.js';
import type { VSphereSession } from './vsphere-session.js';

export interface DiscoveryContext {
  client: Vim25Client;
  content: ServiceContent;
  session: VSphereSession;
  /** Objects per page requested. */
  maxObjects: number;
  /** Re-logins allowed in one discovery before giving up. */
  maxRestarts: number;
}

const ALL: readonly InventoryEntryKind[] = ['machine', 'host', 'cluster', 'storage', 'network'];

/**
 * Streams the site's inventory. When the session is lost mid-pass — a NotAuthenticated
 * fault, a view the server no longer knows (ManagedObjectNotFound), or an empty answer
 * from a session that turns out to be dead (real vCenter does that) — it logs in again and
 * restarts the pass from the first page (paging tokens die with the session), reporting
 * nothing twice and saying so in a warning. It never ends a pass early as if complete.
 */
export async function* discoverSite(
  ctx: DiscoveryContext,
  options: DiscoverOptions = {},
): AsyncGenerator<InventoryItem> {
  const kinds = new Set(options.kinds ?? ALL);
  const seen = new Set<string>();
  for (let restart = 0; ; restart++) {
    try {
      yield* onePass(ctx, kinds, seen, options);
      return;
    } catch (error) {
      if (!isSessionLoss(error) || restart >= ctx.maxRestarts) throw error;
      const reason = `session lost during discovery (${(error as DrkitError).fault ?? (error as DrkitError).code}); logged in again and restarted the pass`;
      options.onProgress?.({ kind: 'retry', reason, attempt: restart + 1 });
      await ctx.session.relogin(options.signal);
      yield {
        kind: 'warning',
        message: `${reason}; ${seen.size} objects reported before the restart were not reported again`,
      };
    }
  }
}

async function* onePass(
  ctx: DiscoveryContext,
  kinds: ReadonlySet<InventoryEntryKind>,
  seen: Set<string>,
  options: DiscoverOptions,
): AsyncGenerator<InventoryItem> {
  const { signal } = options;
  /** True the first time an object of a wanted kind comes by, across restarts. */
  const fresh = (kind: InventoryEntryKind, id: string): boolean => {
    const key = `${kind}:${id}`;
    if (!kinds.has(kind) || seen.has(key)) return false;
    seen.add(key);
    return true;
  };

  // Infrastructure first: small, and machines need the host → cluster map.
  const infra: ObjectContent[] = [];
  for await (const page of retrieveAll(ctx, INFRA_VIEW_TYPES, INFRA_PROPERTIES, (o) => o, signal)) infra.push(...page);
  if (infra.length === 0) await ensureSession(ctx, signal);
  const hostCluster = new Map<string, string>();
  const portgroups = new Map<string, string>();
  for (const o of infra) {
    if (o.obj.type === 'ClusterComputeResource')
      for (const host of mapCluster(o).hostIds) hostCluster.set(host, o.obj.value);
    if (o.obj.type === 'DistributedVirtualPortgroup') portgroups.set(o.obj.value, o.obj.value);
  }
  for (const o of infra) {
    yield* warningsOf(o);
    switch (o.obj.type) {
      case 'ClusterComputeResource':
        if (fresh('cluster', o.obj.value)) yield { kind: 'cluster', cluster: mapCluster(o) };
        break;
      case 'HostSystem':
        if (fresh('host', o.obj.value)) yield { kind: 'host', host: mapHost(o, hostCluster) };
        break;
      case 'Datastore':
        if (fresh('storage', o.obj.value)) yield { kind: 'storage', storage: mapStorage(o) };
        break;
      default:
        if (fresh('network', o.obj.value)) yield { kind: 'network', network: mapNetwork(o) };
    }
  }
  infra.length = 0;
  if (!kinds.has('machine')) return;

  let count = 0;
  // Keep only the mapped machine per object: the XML tree is garbage as soon as it is mapped.
  const map = (o: ObjectContent) => ({
    obj: o.obj,
    missing: o.missing,
    machine: mapMachine(o, hostCluster, portgroups),
  });
  for await (const page of retrieveAll(ctx, ['VirtualMachine'], [VM_PROPERTIES], map, signal)) {
    for (const { machine, ...o } of page) {
      count++;
      yield* warningsOf(o);
      if (fresh('machine', machine.id)) yield { kind: 'machine', machine };
    }
    options.onProgress?.({ kind: 'count', what: 'machines', done: count });
  }
  if (count === 0) await ensureSession(ctx, signal);
}

async function* retrieveAll<T>(
  ctx: DiscoveryContext,
  types: string[],
  specs: typeof INFRA_PROPERTIES,
  map: (o: ObjectContent) => T,
  signal: AbortSignal | undefined,
): AsyncGenerator<T[]> {
  const view = await createContainerView(ctx.client, ctx.content, types, signal);
  try {
    yield* retrieveFromView(ctx.client, ctx.content.propertyCollector, view, specs, {
      maxObjects: ctx.maxObjects,
      signal,
      map,
    });
  } finally {
    await destroyView(ctx.client, view);
  }
}

/**
 * Confirms the session is alive. An expired session on real vCenter can answer with empty
 * results instead of a fault, so an empty answer is only believed once this passes.
 */
async function ensureSession(ctx: DiscoveryContext, signal: AbortSignal | undefined): Promise<void> {
  try {
    const current = await retrieveObject(
      ctx.client,
      ctx.content.propertyCollector,
      ctx.content.sessionManager,
      ['currentSession'],
      signal,
    );
    if (current?.props.get('currentSession')) return;
  } catch (error) {
    if (!isSessionLoss(error)) throw error;
  }
  throw new DrkitError('session-expired', 'empty result from a session that is no longer active', {
    fault: 'NotAuthenticated',
  });
}

function isSessionLoss(error: unknown): boolean {
  return DrkitError.isInstance(error) && (error.code === 'session-expired' || error.fault === 'ManagedObjectNotFound');
}

function* warningsOf(o: Pick<ObjectContent, 'obj' | 'missing'>): Generator<InventoryItem> {
  for (const m of o.missing) {
    if (m.fault === 'NotAuthenticated')
      throw new DrkitError('session-expired', `${o.obj.type} ${o.obj.value}: ${m.path} not returned`, {
        fault: 'NotAuthenticated',
      });
    yield { kind: 'warning', message: `${o.obj.type} ${o.obj.value}: property ${m.path} not visible (${m.fault})` };
  }
}
