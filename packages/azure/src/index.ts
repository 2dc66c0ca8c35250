export { azureTarget } from './definition.js';
export { openAzureTarget } from './open-azure-target.js';
export { openAzureStore, AzureStore, type AzureStoreOptions } from './azure-store.js';
export { parseAzureLocation, type AzureLocation } from './azure-location.js';
export { resolveAzureAccess, type AzureAccess, type AzureCredentialSources } from './azure-credentials.js';
export { containerClient } from './storage-client.js';
export { storageAgent } from './azure-agent.js';
