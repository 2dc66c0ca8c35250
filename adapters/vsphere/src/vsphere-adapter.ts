import {
  DrkitError,
  unsupportedReplication,
  unsupportedSnapshots,
  type Adapter,
  type Capabilities,
  type DiscoverOptions,
  type InventoryItem,
  type OperationOptions,
  type SiteInfo,
} from '@drkit/core';
import type { HttpTransport } from '@drkit/http';
import { Vim25Client } from './vim25-client.js';
import { probeCapabilities } from './vsphere-capabilities.js';
import { discoverSite } from './vsphere-discovery.js';
import { retrieveServiceContent, type ServiceContent } from './vsphere-service-content.js';
import { VSphereSession, type Credentials } from './vsphere-session.js';

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
}

export interface VSphereAdapter extends Adapter {
  readonly kind: 'vsphere';
  /** Logins done so far (1 after connect; more after session loss). */
  readonly logins: number;
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
        { client, content: c.content, session: c.session, maxObjects: options.maxObjects ?? 500, maxRestarts: options.maxRestarts ?? 3 },
        opts,
      );
    },
    snapshots: unsupportedSnapshots('vsphere'),
    replication: unsupportedReplication('vsphere'),
    async close() {
      await session?.logout();
      await options.transport.close();
    },
  };
}
