import type http from 'node:http';
import {
  AnonymousCredential,
  ContainerClient,
  newPipeline,
  StorageSharedKeyCredential,
  type RequestPolicy,
  type RequestPolicyFactory,
  type WebResource,
} from '@azure/storage-blob';
import type { AzureAccess } from './azure-credentials.js';
import type { AzureLocation } from './azure-location.js';

/**
 * The SDK's retry policy, tuned for a replication run: throttling (503/500) and dropped or
 * timed-out connections are retried with exponential back-off (0.5 s doubling, at most 8 s
 * apart, five tries: a dead endpoint fails in about 8 s); 4xx answers — a wrong key, an
 * expired SAS — are not retried.
 */
const RETRY = { maxTries: 5, retryDelayInMs: 500, maxRetryDelayInMs: 8_000, tryTimeoutInMs: 120_000 };

/** A container client over the store's own connection pool (see azure-agent.ts). */
export function containerClient(location: AzureLocation, access: AzureAccess, agent: http.Agent): ContainerClient {
  const credential =
    access.credential.kind === 'key'
      ? new StorageSharedKeyCredential(location.account, access.credential.accountKey)
      : new AnonymousCredential();
  const pipeline = newPipeline(credential, { retryOptions: RETRY, keepAliveOptions: { enable: true } });
  pipeline.factories.unshift(throughAgent(agent));
  const sas = access.credential.kind === 'sas' ? `?${access.credential.sas}` : '';
  return new ContainerClient(`${access.endpoint}/${location.container}${sas}`, pipeline);
}

/** Sends every request through `agent` (the SDK's default pool knows no pinning and no CA file). */
function throughAgent(agent: http.Agent): RequestPolicyFactory {
  return {
    create: (next: RequestPolicy): RequestPolicy => ({
      sendRequest: (request: WebResource) => {
        request.agent = agent as WebResource['agent'];
        return next.sendRequest(request);
      },
    }),
  };
}
