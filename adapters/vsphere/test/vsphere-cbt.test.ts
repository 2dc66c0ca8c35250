import { describe, expect, it } from 'vitest';
import type { ChangeSet, Extent } from '@drkit/core';
import { replayHttp } from '@drkit/record';
import { Vim25Client, changeEpoch, changedAreas } from '../src/index.js';

// The simulator has no QueryChangedDiskAreas: these exchanges are shaped after the vSphere
// Web Services reference (fixtures/vsphere/cbt-changed-areas, written by
// test/harness/record-cbt-fixture.ts), replayed here — not a live vCenter.
const FIXTURE = new URL('../../../fixtures/vsphere/cbt-changed-areas/', import.meta.url).pathname;
const GiB = 2 ** 30;
const MiB = 2 ** 20;
const EPOCH = '52 3c 6e 1a 9b 7d 40 2f-8a 11 c4 5e 70 d2 19 2a';

async function extents(set: ChangeSet): Promise<Extent[]> {
  const out: Extent[] = [];
  if (set.kind === 'extents') for await (const e of set.extents) out.push(e);
  return out;
}

describe('changed-block tracking', () => {
  it("loops QueryChangedDiskAreas by startOffset until the disk is covered, and hands on the snapshot's changeId", async () => {
    const replay = await replayHttp(FIXTURE);
    const query = {
      client: new Vim25Client(replay),
      vm: async () => ({ type: 'VirtualMachine', value: 'vm-1042' }),
      snapshot: { type: 'VirtualMachineSnapshot', value: 'snapshot-1187' },
      deviceKey: '2000',
      sizeBytes: GiB,
      currentChangeId: `${EPOCH}/135`,
    };
    const set = await changedAreas(query, `${EPOCH}/120`);
    expect(set.kind).toBe('extents');
    expect(set.nextToken).toBe(`${EPOCH}/135`);
    // Two answers: the first covered only the first 512 MiB.
    expect(await extents(set)).toEqual([
      { offset: MiB, length: 64 * 1024 },
      { offset: 300 * MiB, length: 128 * 1024 },
      { offset: 1000 * MiB, length: MiB },
    ]);
    // A changeId the disk no longer knows (FileFault): a resync, not a failure.
    const lost = await changedAreas(query, `${EPOCH}/77`);
    expect(lost).toMatchObject({ kind: 'unknown', nextToken: `${EPOCH}/135` });
    expect((lost as { reason: string }).reason).toMatch(/FileFault/);
    expect(replay.remaining()).toBe(0);
  });

  it('asks nothing when tracking was reset, is off, or has no earlier changeId — each is a resync', async () => {
    const never = {
      request: async () => {
        throw new Error('no request expected');
      },
      origin: 'none',
      close: async () => {},
    };
    const query = {
      client: new Vim25Client(never),
      vm: async () => {
        throw new Error('no VM lookup expected');
      },
      snapshot: { type: 'VirtualMachineSnapshot', value: 's-1' },
      deviceKey: '2000',
      sizeBytes: GiB,
      currentChangeId: `${EPOCH}/135`,
    };
    expect(await changedAreas(query, '52 00 11 22 33 44 55 66-77 88 99 aa bb cc dd ee/9')).toMatchObject({
      kind: 'unknown',
      reason: expect.stringMatching(/reset/),
    });
    expect(await changedAreas(query, undefined)).toMatchObject({ kind: 'unknown', nextToken: `${EPOCH}/135` });
    expect(await changedAreas({ ...query, currentChangeId: undefined }, `${EPOCH}/120`)).toMatchObject({
      kind: 'unknown',
      reason: expect.stringMatching(/not enabled/),
    });
    expect(changeEpoch(`${EPOCH}/135`)).toBe(EPOCH);
  });
});
