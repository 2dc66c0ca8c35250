export * from './array-driver.js';
export { SanAdapter, type SanAdapterOptions } from './san-adapter.js';
export { ArrayReplication } from './array-replication.js';
export { OntapDriver, ontapLunWwn, type OntapDriverOptions, type OntapCredentials } from './ontap/ontap-driver.js';
export { PureDriver, pureVolumeWwn, type PureDriverOptions } from './pure/pure-driver.js';
export { RestClient, retryAfterMs, type RestClientOptions } from './rest-client.js';
export { parseSanEndpoint, type SanEndpoint } from './san-endpoint.js';
export { createSanAdapter, type CreateSanAdapterOptions } from './create-san-adapter.js';
export { volumesBehind, type VolumeLink } from './volume-links.js';
