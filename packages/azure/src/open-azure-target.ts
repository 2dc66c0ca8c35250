import { readFile } from 'node:fs/promises';
import { DrkitError, type TargetOpenContext } from '@drkit/core';
import { normalizeThumbprint, type TlsPolicy } from '@drkit/http';
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

async function tlsPolicy(
  o: { blobCaFile?: string; blobThumbprint?: string; blobInsecure?: boolean },
  warn: (line: string) => void,
): Promise<TlsPolicy> {
  if ([o.blobCaFile, o.blobThumbprint, o.blobInsecure].filter(Boolean).length > 1)
    throw new DrkitError('bad-input', 'choose one of --blob-ca-file, --blob-thumbprint and --blob-insecure');
  if (o.blobInsecure) {
    warn(
      'drkit: WARNING: --blob-insecure: the blob endpoint certificate is not checked; anyone on the path can read the data',
    );
    return { mode: 'insecure' };
  }
  if (o.blobThumbprint) return { mode: 'pin', sha256: normalizeThumbprint(o.blobThumbprint) };
  if (o.blobCaFile) {
    try {
      return { mode: 'verify', ca: await readFile(o.blobCaFile) };
    } catch (error) {
      throw new DrkitError('bad-input', `cannot read --blob-ca-file ${o.blobCaFile}`, { cause: error });
    }
  }
  return { mode: 'verify' };
}
