import { fileURLToPath } from 'node:url';

/**
 * The recorded vCenter site shipped inside this package (`files` in package.json), one
 * level above both src/ and dist/: `drkit discover` with no endpoint replays it.
 */
export const DEFAULT_FIXTURE = fileURLToPath(new URL('../recorded-site', import.meta.url));
