import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectInventory, type Inventory, type Machine } from '@drkit/core';
import { createHttpTransport } from '@drkit/http';
import { startFakeOntap, type FakeOntap } from '../../../test/harness/fake-ontap.js';
import { createSanAdapter, volumesBehind } from '../src/index.js';

// A database server's disks as the physical adapter reports them (lsblk WWN, normalized)
// and the ONTAP cluster (mock array) that holds its LUNs.
describe('volumes behind a machine', () => {
  let ontap: FakeOntap;
  let array: Inventory;
  beforeAll(async () => {
    ontap = await startFakeOntap();
    const adapter = createSanAdapter({
      family: 'ontap',
      transport: createHttpTransport({ url: ontap.url }),
      endpoint: 'ontap://a@c',
      username: ontap.username,
      secret: async () => ontap.password,
    });
    await adapter.connect();
    array = await collectInventory(adapter.site, adapter.discover());
    await adapter.close();
  });
  afterAll(() => ontap?.stop());

  const server = (disks: Array<{ id: string; wwn?: string }>): Machine => ({
    id: 'db01',
    nativeId: 'db01',
    name: 'db01',
    powerState: 'on',
    os: { family: 'linux' },
    disks: disks.map((d) => ({ ...d, name: d.id, capacityBytes: 1 })),
    nics: [],
    addresses: [],
    storageIds: [],
    networkIds: [],
  });
  const lunWwn = (serial: string) => `naa.600a0980${Buffer.from(serial).toString('hex')}`;

  it('traces each disk to its LUN and the consistency group that snapshots it', () => {
    const links = volumesBehind(
      [server([{ id: 'sdb', wwn: lunWwn('wCVovB3Ds7Lk') }, { id: 'sdc', wwn: lunWwn('wCVovB3Ds7Ll') }, { id: 'sda' }])],
      [array],
    );
    expect(links.map((l) => [l.diskId, l.groupName])).toEqual([
      ['sdb', 'cg_db'],
      ['sdc', 'cg_db'],
    ]);
    const cgDb = array.machines.find((m) => m.name === 'cg_db')!;
    expect(new Set(links.map((l) => l.groupMachineId))).toEqual(new Set([cgDb.id]));
    expect(links[0]!.arrayInstanceId).toBe(array.site.instanceId);
  });

  it('links nothing without matching evidence: a local disk, an unknown LUN', () => {
    expect(volumesBehind([server([{ id: 'sda' }, { id: 'sdz', wwn: lunWwn('nosuchserial') }])], [array])).toEqual([]);
  });

  it('traces a VM disk through the VMFS datastore it is a file on, and says so', () => {
    const vm: Machine = {
      ...server([]),
      id: 'vm-1',
      disks: [{ id: 'vm-1/disk-2000', name: 'Hard disk 1', capacityBytes: 1, storageId: 'datastore-12' }],
    };
    const datastore = { id: 'datastore-12', nativeId: 'datastore-12', name: 'ds-sql', wwns: [lunWwn('wCVovB3Ds7Lk')] };
    const links = volumesBehind([vm], [array], [datastore]);
    expect(links.map((l) => [l.diskId, l.groupName, l.via])).toEqual([['vm-1/disk-2000', 'cg_db', 'datastore']]);
    expect(volumesBehind([vm], [array])).toEqual([]);
  });
});
