import { DrkitError } from '@drkit/core';

/** `azure://<account>/<container>[/<prefix>]`: where a store lives; never a secret. */
export interface AzureLocation {
  account: string;
  container: string;
  /** Blob-name prefix of the store, '' or ending in '/'. */
  prefix: string;
  /** The location as the user gave it, normalized: what manifests and messages show. */
  display: string;
}

/** Azure's rules for a container name (Naming and Referencing Containers, Blobs, and Metadata). */
const CONTAINER = /^[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]$/;
const ACCOUNT = /^[a-z0-9]{3,24}$/;
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function parseAzureLocation(location: string): AzureLocation {
  const bad = (why: string) =>
    new DrkitError('bad-input', `${location}: ${why}; give azure://<account>/<container>[/<prefix>]`);
  const m = /^azure:\/\/([^/?#]*)\/([^/?#]*)((?:\/[^?#]*)?)$/.exec(location);
  if (!m) {
    if (/[?#]/.test(location))
      throw bad('a store location carries no query: credentials come from a file or the environment');
    throw bad('not an Azure store location');
  }
  const [, account = '', container = '', rest = ''] = m;
  if (account.includes('@') || account.includes(':'))
    throw bad('credentials never go in the URL: use --account-key-file, --sas-file or --connection-string-file');
  if (!ACCOUNT.test(account))
    throw bad(`${JSON.stringify(account)} is not a storage account name (3-24 lower-case letters and digits)`);
  if (!CONTAINER.test(container))
    throw bad(
      `Azure refuses the container name ${JSON.stringify(container)}: 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit`,
    );
  const segments = rest.split('/').filter((s) => s !== '');
  for (const s of segments)
    if (!SEGMENT.test(s) || s.includes('..')) throw bad(`${JSON.stringify(s)} is not a prefix segment drkit writes`);
  const prefix = segments.length ? `${segments.join('/')}/` : '';
  return {
    account,
    container,
    prefix,
    display: `azure://${account}/${container}${prefix ? `/${prefix.slice(0, -1)}` : ''}`,
  };
}
