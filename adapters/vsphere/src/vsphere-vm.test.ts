import { describe, expect, it } from 'vitest';
import { snapshotTree } from './vsphere-vm.js';
import type { XmlNode } from './vim25-xml.js';

const el = (name: string, text = '', children: XmlNode[] = [], type?: string): XmlNode => ({
  name,
  text,
  children,
  ...(type && { type }),
});
const tree = (name: string, ref: string, manifest: string, kids: XmlNode[] = []) =>
  el('rootSnapshotList', '', [
    el('snapshot', ref, [], 'VirtualMachineSnapshot'),
    el('name', name),
    el('description', `drkit:${name}`),
    el('createTime', '2026-11-23T08:00:00Z'),
    el('quiesced', 'true'),
    el('backupManifest', manifest),
    ...kids,
  ]);

describe('the snapshot tree', () => {
  it('flattens nested snapshots and keeps what says how the guest was quiesced', () => {
    const child = { ...tree('child', 'snapshot-2', ''), name: 'childSnapshotList' };
    const nodes = snapshotTree(el('val', '', [tree('root', 'snapshot-1', 'vss-manifest-1.zip', [child])]));
    expect(nodes.map((n) => [n.snapshot.value, n.name, n.quiesced, n.backupManifest])).toEqual([
      ['snapshot-1', 'root', true, 'vss-manifest-1.zip'],
      ['snapshot-2', 'child', true, ''],
    ]);
  });
});
