import { DrkitError, type TargetOpenContext } from '@drkit/core';
import { chooseTlsPolicy, type TlsPolicy } from '@drkit/http/tls';
import { storageAgent } from './azure-agent.js';
import { resolveAzureAccess } from './azure-credentials.js';
import { parseAzureLocation } from './azure-location.js';
import { openAzureStore, type AzureStore } from './azure-store.js';
import { containerClient } from './storage-client.js';

/** Put Page requests in flight per disk are 8; two disks at once (the engine's default) stay within this. */
const SOCKETS = 32;

/** Opens `azure://…` with the CLI's (or an embedding program's) options and environment. */
export async function openAzureTarget(location: string, context: TargetOpenContext): Promise<AzureStore> {
  const where = parseAzureLocation(location);
  const o = context.options as {
    connectionStringFile?: string;
    accountKeyFile?: string;
    sasFile?: string;
    blobEndpoint?: string;
    blobCaFile?: string;
    blobThumbprint?: string;
    blobInsecure?: boolean;
    lockWait?: string;
  };
  const lockWait = o.lockWait === undefined ? 20 : Number(o.lockWait);
  if (!Number.isFinite(lockWait) || lockWait < 0)
    throw new DrkitError('bad-input', `--lock-wait ${o.lockWait}: give a number of seconds`);
  const access = await resolveAzureAccess(where, o, context.env);
  const agent = storageAgent(access.endpoint, await tlsPolicy(o, context.warn), SOCKETS);
  try {
    return await openAzureStore(where, containerClient(where, access, agent), agent, {
      create: context.create,
      lockWaitMs: lockWait * 1000,
      ...(context.signal && { signal: context.signal }),
    });
  } catch (error) {
    agent.destroy();
    throw error;
  }
}

/** The blob endpoint's trust, from the target's own options (the source's are --ca-file and co.). */
async function tlsPolicy(
  o: { blobCaFile?: string; blobThumbprint?: string; blobInsecure?: boolean },
  warn: (line: string) => void,
): Promise<TlsPolicy> {
  const choice = {
    ...(o.blobCaFile && { caFile: o.blobCaFile }),
    ...(o.blobThumbprint && { thumbprint: o.blobThumbprint }),
    ...(o.blobInsecure && { insecure: true }),
    names: { caFile: '--blob-ca-file', thumbprint: '--blob-thumbprint', insecure: '--blob-insecure' },
    exposes: 'the data',
  };
  return chooseTlsPolicy(choice, warn).catch((error: unknown) => {
    if (DrkitError.isInstance(error)) throw error;
    throw new DrkitError('bad-input', `cannot read --blob-ca-file ${o.blobCaFile}`, { cause: error });
  });
}
