import { defineTarget } from '@drkit/core/definition';

/**
 * `@drkit/azure/definition`: the Azure Storage target's definition alone, light (the SDK
 * loads when a store opens).
 */
export const azureTarget = defineTarget({
  specificationVersion: 'v1',
  scheme: 'azure',
  usage: 'azure://<account>/<container>[/<prefix>]',
  options: [
    {
      flag: '--connection-string-file <file>',
      description: 'a storage connection string (or AZURE_STORAGE_CONNECTION_STRING)',
    },
    { flag: '--account-key-file <file>', description: 'the storage account key (or AZURE_STORAGE_KEY)' },
    { flag: '--sas-file <file>', description: 'a SAS token for the container (or AZURE_STORAGE_SAS_TOKEN)' },
    { flag: '--blob-endpoint <url>', description: 'the blob service endpoint (Azurite, a sovereign cloud)' },
    { flag: '--blob-ca-file <pem>', description: 'trust this CA for the blob endpoint instead of the system CAs' },
    { flag: '--blob-thumbprint <sha256>', description: "pin the blob endpoint certificate's SHA-256 thumbprint" },
    { flag: '--blob-insecure', description: 'do not check the blob endpoint certificate (warns)' },
    {
      flag: '--lock-wait <seconds>',
      description: "how long a writer waits for another run's lock before 'busy' (default 20)",
    },
  ],
  async open(location, context) {
    const { openAzureTarget } = await import('./open-azure-target.js');
    return openAzureTarget(location, context);
  },
});
