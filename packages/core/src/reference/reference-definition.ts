import { fileURLToPath } from 'node:url';
import { defineAdapter } from '@drkit/spec';
import { DrkitError } from '@drkit/spec';

/** The reference adapter: a folder of machines, each a folder of raw disk images (`file:///abs/site`). */
export const referenceAdapter = defineAdapter<undefined>({
  specificationVersion: 'v1',
  kind: 'file',
  schemes: ['file'],
  connection: 'local',
  usage: 'file:///absolute/site/folder',
  parseEndpoint(endpoint) {
    const root = sitePath(endpoint);
    return { display: `file://${root}`, details: { root } };
  },
  async create(ep) {
    const { createReferenceAdapter } = await import('./reference-adapter.js');
    return createReferenceAdapter({ root: String(ep.details!.root) });
  },
});

/** `file:///abs/site` → the folder; no host, no root folder (that once scanned all of /). */
function sitePath(endpoint: string): string {
  const bad = (why: string) =>
    new DrkitError('bad-input', `${endpoint}: ${why}; give a site folder as file:///absolute/path`);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw bad('not a URL');
  }
  if (url.host && url.host !== 'localhost') throw bad(`"${url.host}" would be a host name (a relative path?)`);
  const path = fileURLToPath(url);
  if (path.replace(/\/+$/, '') === '') throw bad('no folder');
  return path;
}
