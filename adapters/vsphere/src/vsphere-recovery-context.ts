import type { HttpTransport } from '@drkit/http';
import type { MoRef, Vim25Client } from './vim25-client.js';
import type { ServiceContent } from './vsphere-service-content.js';

/** What vSphere recovery and write-back use of a connected adapter. */
export interface VSphereRecoveryContext {
  client: Vim25Client;
  transport: HttpTransport;
  content: () => ServiceContent;
  withSession: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Logs in again after the datastore interface refused a stale session cookie. */
  relogin: (staleCookie: string | undefined) => Promise<void>;
  /** The datacenter (`dcPath`) holding a datastore. */
  datacenterOf: (datastore: MoRef, signal?: AbortSignal) => Promise<string>;
}
