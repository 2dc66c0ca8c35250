import type { GroupRunner } from '@drkit/service';

/** A runner whose runs do nothing and succeed at once: the scheduling bench measures what is around them. */
export const noopRunner: GroupRunner = {
  run: async (_group, request) => ({
    pointId: request.tag,
    pointAt: Date.now(),
    achieved: request.consistency,
    bytesRead: 0,
    bytesWritten: 0,
    pruned: 0,
    warnings: [],
    leftovers: [],
    inventoryChanges: [],
  }),
  cleanup: async () => ({ removed: 0, failed: [] }),
};
