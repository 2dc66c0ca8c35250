import { describe, expect, it } from 'vitest';
import type { XmlNode } from './vim25-xml.js';
import { rdmWwn } from './vsphere-inventory-mapper.js';

describe('raw device mappings', () => {
  it('carry the NAA id of the array LUN they map, which links the VM to the array volume', () => {
    expect(rdmWwn('/vmfs/devices/disks/naa.600A098038303053453F463045727A4B')).toBe(
      'naa.600a098038303053453f463045727a4b',
    );
  });

  it('yield nothing for virtual disks and device names that are not LUN ids', () => {
    expect(rdmWwn(undefined)).toBeUndefined();
    expect(rdmWwn('cdrom--201-824639314936')).toBeUndefined();
    expect(rdmWwn('/vmfs/devices/disks/mpx.vmhba32:C0:T0:L0')).toBeUndefined();
  });
});

describe('VMFS datastores', () => {
  it('name the LUNs they are made of, from their extents', async () => {
    const { vmfsExtents } = await import('./vsphere-inventory-mapper.js');
    const el = (name: string, text = '', children: XmlNode[] = [], xsiType?: string): XmlNode => ({
      name,
      text,
      children,
      ...(xsiType && { xsiType }),
    });
    const info = el(
      'val',
      '',
      [
        el('name', 'ds-sql'),
        el('vmfs', '', [
          el('name', 'ds-sql'),
          el('extent', '', [el('diskName', 'naa.600A098038303053453F463045727A4B'), el('partition', '1')]),
          el('extent', '', [el('diskName', 'mpx.vmhba32:C0:T0:L0'), el('partition', '1')]),
        ]),
      ],
      'VmfsDatastoreInfo',
    );
    expect(vmfsExtents(info)).toEqual(['naa.600a098038303053453f463045727a4b']);
    expect(vmfsExtents(el('val', '', [el('path', '/tmp/ds')], 'LocalDatastoreInfo'))).toEqual([]);
  });
});
