import { stat } from 'node:fs/promises';
import { DrkitError } from '@drkit/spec';
import { defineTarget } from './target-definition.js';

/** The local folder store (dir-store.ts). A bare path is taken as `dir:<path>` by readers. */
export const dirTarget = defineTarget({
  specificationVersion: 'v1',
  scheme: 'dir',
  usage: 'dir:<path>',
  async open(location, context) {
    const path = location.startsWith('dir:') ? location.slice(4) : location;
    if (!path) throw new DrkitError('bad-input', 'give a store: dir:<path>');
    if (!context.create) {
      // A store whose store.json was lost still has its points: it opens and says what is wrong.
      const there = async (name: string) =>
        stat(`${path}/${name}`).then(
          () => true,
          () => false,
        );
      if (!(await there('store.json')) && !(await there('points')))
        throw new DrkitError('bad-input', `${location} is not a drkit store`);
    }
    const { openDirStore } = await import('./dir-store.js');
    return openDirStore(path);
  },
});
