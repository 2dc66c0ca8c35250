import { fileURLToPath } from 'node:url';

/** The recorded vCenter site shipped in the repo: `drkit discover` with no endpoint replays it. */
export const DEFAULT_FIXTURE = fileURLToPath(new URL('../../../fixtures/vsphere/recorded-site', import.meta.url));
