import type { Consistency } from '@drkit/core';
import type { CleanupOutcome, GroupRunner, ProtectionGroup, RunOutcome, RunRequest } from '../src/index.js';

export interface RunCall {
  group: string;
  consistency: Consistency;
  tag: string;
  resync: boolean;
  startedAt: number;
  endedAt?: number;
}

/**
 * A GroupRunner whose runs do what the test says (a mock, on purpose: these tests are about
 * the service's scheduling, journal and failure policy; the CLI's runner over real adapters
 * and stores is tested in packages/cli/test/drkit-serve.test.ts).
 */
export function scriptedRunner(
  behave: (call: RunCall, request: RunRequest) => Promise<Partial<RunOutcome> | undefined>,
) {
  const calls: RunCall[] = [];
  const cleanups: Array<{ group: string; tag: string }> = [];
  let points = 0;
  const runner: GroupRunner = {
    async run(group: ProtectionGroup, request: RunRequest): Promise<RunOutcome> {
      const call: RunCall = {
        group: group.name,
        consistency: request.consistency,
        tag: request.tag,
        resync: request.resync,
        startedAt: Date.now(),
      };
      calls.push(call);
      try {
        const extra = await behave(call, request);
        return {
          pointId: `p${++points}`,
          pointAt: call.startedAt,
          achieved: request.consistency,
          bytesRead: 100,
          bytesWritten: 10,
          pruned: 0,
          warnings: [],
          leftovers: [],
          inventoryChanges: [],
          ...extra,
        };
      } finally {
        call.endedAt = Date.now();
      }
    },
    async cleanup(group: ProtectionGroup, tag: string): Promise<CleanupOutcome> {
      cleanups.push({ group: group.name, tag });
      return { removed: 1, failed: [] };
    },
  };
  return { runner, calls, cleanups };
}
