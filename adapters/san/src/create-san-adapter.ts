import { DrkitError } from '@drkit/core';
import type { HttpTransport } from '@drkit/http';
import { OntapDriver } from './ontap/ontap-driver.js';
import { PureDriver } from './pure/pure-driver.js';
import { SanAdapter } from './san-adapter.js';

export interface CreateSanAdapterOptions {
  family: 'ontap' | 'pure';
  transport: HttpTransport;
  /** The endpoint as shown to people: no credentials. */
  endpoint: string;
  /** ONTAP only. */
  username?: string;
  /** The ONTAP password or the Pure API token, asked for when first needed. */
  secret: () => Promise<string>;
}

/** A SAN adapter with the driver for the array family, over an injected transport. */
export function createSanAdapter(options: CreateSanAdapterOptions): SanAdapter {
  const where = options.endpoint;
  if (options.family === 'ontap') {
    if (!options.username) throw new DrkitError('bad-input', 'ONTAP needs a user name');
    return new SanAdapter({
      endpoint: where,
      driver: new OntapDriver({
        transport: options.transport,
        where,
        credentials: { username: options.username, password: options.secret },
      }),
    });
  }
  return new SanAdapter({
    endpoint: where,
    driver: new PureDriver({ transport: options.transport, where, apiToken: options.secret }),
  });
}
