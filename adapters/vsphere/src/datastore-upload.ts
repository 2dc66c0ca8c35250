import { Readable } from 'node:stream';
import { DrkitError } from '@drkit/core';
import type { HttpTransport } from '@drkit/http';
import type { Vim25Client } from './vim25-client.js';
import { folderPath, type DatastoreFile } from './vsphere-disk-source.js';

/**
 * One file PUT whole into a datastore over its HTTP interface (`/folder`, the session cookie),
 * replacing what was there. A disk image goes up from the transport's upload threads where it
 * has them (ten disks, ten TLS streams), its chunks handed back through `recycle` once sent.
 */
export async function uploadToDatastore(
  ctx: { client: Vim25Client; transport: HttpTransport },
  target: DatastoreFile,
  body: Buffer | Readable,
  options: { sizeBytes?: number; signal?: AbortSignal; recycle?: (chunk: Uint8Array) => void } = {},
): Promise<void> {
  const { signal, recycle } = options;
  const url = folderPath(target);
  const headers = {
    'content-type': 'application/octet-stream',
    'content-length': String(options.sizeBytes ?? (body as Buffer).length),
    ...(ctx.client.cookie && { cookie: ctx.client.cookie }),
  };
  const send = async () => {
    if (body instanceof Readable && ctx.transport.upload)
      return ctx.transport.upload({
        method: 'PUT',
        path: url,
        headers,
        body,
        ...(signal && { signal }),
        ...(recycle && { recycle }),
      });
    const response = await ctx.transport.request({
      method: 'PUT',
      path: url,
      headers,
      body,
      ...(signal && { signal }),
    });
    response.cancel();
    return response;
  };
  const response = await send();
  if (response.status !== 200 && response.status !== 201)
    throw new DrkitError(
      response.status === 401 ? 'session-expired' : 'platform',
      `upload of ${target.path} to [${target.datastore}]: HTTP ${response.status}`,
    );
}
