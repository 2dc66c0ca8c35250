import { describe, expect, it } from 'vitest';
import type { TakenSnapshot } from '@drkit/core';
import type { PowerShellRunner } from '@drkit/powershell';
import { hypervChangeAnchors } from '../src/hyperv-reference-points.js';

// How a reference point's answer becomes change tokens. The runner is a stand-in that returns
// the answer shapes HYPERV_REFERENCE_POINT prints (the script itself runs in real pwsh in
// hyperv-disks.test.ts); here the cases a stub host does not produce: drives that match no
// disk, disks without an id, a reference point that is not RCT based.
const VM = 'd4c3b2a1-6f5e-4b7a-9c8d-5a4b3c2d1e0f';
const snapshot: TakenSnapshot = {
  id: 'Microsoft:11111111-2222-4333-8444-555555555555',
  machineId: VM,
  takenAt: '',
  requested: 'crash',
  achieved: 'crash',
  warnings: [],
  changeTokens: {},
  tag: 't',
  disks: [
    { diskId: `${VM}/scsi-0-0`, name: 'SCSI 0:0', sizeBytes: 1 },
    { diskId: `${VM}/scsi-0-1`, name: 'SCSI 0:1', sizeBytes: 1 },
    { diskId: `${VM}/scsi-0-2`, name: 'SCSI 0:2', sizeBytes: 1 },
  ],
};
const answering = (answer: unknown): { runner: () => Promise<PowerShellRunner>; inputs: unknown[] } => {
  const inputs: unknown[] = [];
  return {
    inputs,
    runner: async () => ({
      invoke: async <T>(_op: unknown, input?: unknown) => {
        inputs.push(input);
        return [answer as T];
      },
    }),
  };
};

describe('Hyper-V reference points as change anchors', () => {
  it('keys each RCT id by its drive, and says which disks will resync and why', async () => {
    const { runner, inputs } = answering({
      referencePoint: 'Microsoft:REF',
      type: 2,
      disks: [
        {
          virtualDisk: 'Microsoft:vm\\ctl\\0\\0\\L',
          rctId: 'rctX:a:1',
          controller: 'SCSI',
          controllerNumber: 0,
          location: 0,
        },
        {
          virtualDisk: 'Microsoft:vm\\ctl\\0\\1\\L',
          rctId: null,
          controller: 'SCSI',
          controllerNumber: 0,
          location: 1,
        },
        {
          virtualDisk: 'Microsoft:vm\\ctl\\0\\9\\L',
          rctId: 'rctX:c:3',
          controller: null,
          controllerNumber: null,
          location: null,
        },
      ],
    });
    const anchor = await hypervChangeAnchors({ runner, changeTracking: () => true }).anchorChanges(snapshot);
    expect(inputs).toEqual([{ vmId: VM, snapshotId: snapshot.id }]);
    expect(anchor.changeTokens).toEqual({ [`${VM}/scsi-0-0`]: 'rctX:a:1' });
    expect(anchor.warnings).toEqual([
      'SCSI 0:1 has no RCT id in reference point Microsoft:REF; its next run resyncs by checksums',
      "RCT id of virtual disk Microsoft:vm\\ctl\\0\\9\\L matches no drive of the VM; that disk's next run resyncs by checksums",
      'SCSI 0:2 is not in reference point Microsoft:REF; its next run resyncs by checksums',
    ]);
  });

  it('takes no tokens from a reference point that is not RCT based, and asks nothing without change tracking', async () => {
    const log = answering({ referencePoint: 'Microsoft:LOG', type: 1, disks: [] });
    const anchor = await hypervChangeAnchors({ runner: log.runner, changeTracking: () => true }).anchorChanges(
      snapshot,
    );
    expect(anchor).toEqual({
      changeTokens: {},
      warnings: ['reference point Microsoft:LOG is not RCT based (type 1); the next run resyncs by checksums'],
    });
    const off = answering(undefined);
    expect(
      await hypervChangeAnchors({ runner: off.runner, changeTracking: () => false }).anchorChanges(snapshot),
    ).toEqual({ changeTokens: {}, warnings: [] });
    expect(off.inputs).toEqual([]);
  });
});
