import {
  DrkitError,
  UnsupportedError,
  type Adapter,
  type Capabilities,
  type DiscoverOptions,
  type InventoryItem,
  type NativeChangeTracking,
  type NativeInventoryWatch,
  type OperationOptions,
  type SiteInfo,
} from '@drkit/core';
import type { HttpTransport } from '@drkit/http';
import { watchInventory } from './vsphere-inventory-watch.js';
import { vsphereRecovery } from './vsphere-recovery.js';
import { Vim25Client, type MoRef } from './vim25-client.js';
import { probeCapabilities } from './vsphere-capabilities.js';
import { discoverSite } from './vsphere-discovery.js';
import { retrieveServiceContent, type ServiceContent } from './vsphere-service-content.js';
import { VSphereSession, type Credentials } from './vsphere-session.js';
import { DatacenterIndex } from './vsphere-datacenters.js';
import { openVSphereDisk } from './vsphere-disk-source.js';
import { vsphereSnapshotOps } from './vsphere-snapshots.js';
import { changedAreas } from './vsphere-cbt.js';
import { waitForTask } from './vsphere-task.js';
import { morefOf } from './vsphere-service-content.js';
import { findVm, snapshotDisks, snapshotRef } from './vsphere-vm.js';

export interface VSphereAdapterOptions {
  /** Where requests go: a live HTTPS transport, a recorder around one, or a replayer. */
  transport: HttpTransport;
  credentials: Credentials;
  /** Shown in the inventory's site.endpoint; never holds a secret. */
  endpoint: string;
  /** SOAP path. Default `/sdk`. */
  path?: string;
  /** Objects per RetrievePropertiesEx page. Default 500. */
  maxObjects?: number;
  /** Re-logins one discovery may do. Default 3. */
  maxRestarts?: number;
  /** How long a snapshot task may run before drkit stops waiting and reconciles by tag. Default 30 min. */
  taskDeadlineMs?: number;
}

export interface VSphereAdapter extends Adapter {
  readonly kind: 'vsphere';
  /** Logins done so far (1 after connect; more after session loss). */
  readonly logins: number;
  /**
   * `changeTracking.enable(vm)` turns changed-block tracking on for a VM (ReconfigVM_Task) and
   * runs the stun cycle that makes it take effect (a snapshot made and removed). Until then
   * deltas resync by checksums.
   */
  readonly native: { changeTracking: NativeChangeTracking; inventoryWatch: NativeInventoryWatch };
}

export function createVSphereAdapter(options: VSphereAdapterOptions): VSphereAdapter {
  const client = new Vim25Client(options.transport, options.path ?? '/sdk');
  let content: ServiceContent | undefined;
  let session: VSphereSession | undefined;
  let capabilities: Capabilities | undefined;

  const connected = (): { content: ServiceContent; session: VSphereSession } => {
    if (!content || !session?.active) throw new DrkitError('invalid-state', 'vsphere: call connect() first');
    return { content, session };
  };
  // A call refused for an expired session did not run: log in again and make it once more.
  const withSession = async <T>(fn: () => Promise<T>): Promise<T> => {
    const c = connected();
    const seen = client.cookie;
    try {
      return await fn();
    } catch (error) {
      if (!(DrkitError.isInstance(error) && error.code === 'session-expired')) throw error;
      await c.session.relogin(undefined, seen);
      return fn();
    }
  };
  const datacenters = new DatacenterIndex(client, () => connected().content);
  const snapshots = vsphereSnapshotOps({
    client,
    content: () => connected().content,
    withSession,
    ...(options.taskDeadlineMs && { taskDeadlineMs: options.taskDeadlineMs }),
  });

  return {
    specificationVersion: 'v1',
    kind: 'vsphere',
    get logins() {
      return session?.logins ?? 0;
    },
    async connect(opts: OperationOptions = {}) {
      opts.onProgress?.({ kind: 'phase', phase: 'connect', detail: options.endpoint });
      content = await retrieveServiceContent(client, opts.signal);
      if (content.about.apiType && content.about.apiType !== 'VirtualCenter' && content.about.apiType !== 'HostAgent') {
        throw new DrkitError('protocol', `vsphere: unexpected apiType ${content.about.apiType}`);
      }
      session = new VSphereSession(client, content, options.credentials);
      await session.login(opts.signal);
      capabilities = probeCapabilities(content);
      return capabilities;
    },
    get capabilities(): Capabilities {
      if (!capabilities) throw new DrkitError('invalid-state', 'vsphere: capabilities are known after connect()');
      return capabilities;
    },
    get site(): SiteInfo {
      const about = content?.about;
      return {
        adapter: 'vsphere',
        endpoint: options.endpoint,
        ...(about?.name && { product: about.name }),
        ...(about?.version && { version: about.version }),
        ...(about?.apiVersion && { apiVersion: about.apiVersion }),
        ...(about?.instanceUuid && { instanceId: about.instanceUuid }),
      };
    },
    discover(opts: DiscoverOptions = {}): AsyncIterable<InventoryItem> {
      const c = connected();
      return discoverSite(
        {
          client,
          content: c.content,
          session: c.session,
          maxObjects: options.maxObjects ?? 500,
          maxRestarts: options.maxRestarts ?? 3,
        },
        opts,
      );
    },
    snapshots,
    recovery: vsphereRecovery({
      client,
      transport: options.transport,
      content: () => connected().content,
      withSession,
      relogin: (stale) => connected().session.relogin(undefined, stale),
      datacenterOf: (datastore, signal) => withSession(() => datacenters.of(datastore, signal)),
    }),
    native: {
      inventoryWatch: {
        watch(opts = {}) {
          return watchInventory(client, connected().content, opts);
        },
      },
      changeTracking: {
        async enable(machineId, opts = {}) {
          const c = connected();
          const vm = await withSession(() => findVm(client, c.content, machineId, opts.signal));
          const task = morefOf(
            (
              await withSession(() =>
                client.invoke(
                  'ReconfigVM_Task',
                  vm,
                  '<spec><changeTrackingEnabled>true</changeTrackingEnabled></spec>',
                  {
                    signal: opts.signal,
                  },
                ),
              )
            ).children[0],
          );
          if (task)
            await waitForTask(
              client,
              c.content.propertyCollector,
              task,
              'enabling changed-block tracking',
              opts.signal ? { signal: opts.signal } : {},
            );
          // CBT starts at the next stun: a snapshot made and removed is one.
          const tag = `drkit-cbt-stun-${Date.now().toString(36)}`;
          const prepared = await snapshots.prepare({
            machineId,
            consistency: 'crash',
            tag,
            ...(opts.signal && { signal: opts.signal }),
          });
          await snapshots.delete(await snapshots.take(prepared, opts), opts);
        },
      },
    },
    replication: {
      async openDisk(snapshotId, machineId, diskId, opts = {}) {
        const key = diskId.startsWith(`${machineId}/disk-`) ? diskId.slice(machineId.length + 6) : undefined;
        const disk =
          key &&
          (
            await withSession(() => snapshotDisks(client, connected().content, snapshotRef(snapshotId), opts.signal))
          ).find((d) => d.key === key);
        if (!disk) throw new DrkitError('not-found', `snapshot ${snapshotId} has no disk ${diskId}`);
        if (!disk.datastore)
          throw new UnsupportedError(
            'replication.diskRead',
            `${disk.label} of snapshot ${snapshotId} is not on a datastore (RDM?): not readable over /folder`,
          );
        const datacenter = await withSession(() => datacenters.of(disk.datastore!, opts.signal));
        // The VM is looked up only when changed areas are really queried: a plain read does not need it.
        let vm: Promise<MoRef> | undefined;
        const vmRef = () => (vm ??= withSession(() => findVm(client, connected().content, machineId, opts.signal)));
        return openVSphereDisk(
          {
            transport: options.transport,
            cookie: () => client.cookie,
            relogin: (stale) => connected().session.relogin(undefined, stale),
            diskId,
            sizeBytes: disk.sizeBytes,
            fileName: disk.fileName,
            datacenter,
            changes: (token) =>
              withSession(() =>
                changedAreas(
                  {
                    client,
                    vm: vmRef,
                    snapshot: snapshotRef(snapshotId),
                    deviceKey: disk.key,
                    sizeBytes: disk.sizeBytes,
                    currentChangeId: disk.changeId,
                    ...(opts.signal && { signal: opts.signal }),
                  },
                  token,
                ),
              ),
          },
          opts.signal,
        );
      },
    },
    async close() {
      await session?.logout();
      await options.transport.close();
    },
  };
}
