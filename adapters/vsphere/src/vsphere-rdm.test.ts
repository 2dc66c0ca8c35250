import { describe, expect, it } from 'vitest';
import { rdmWwn } from './vsphere-inventory-mapper.js';

describe('raw device mappings', () => {
  it('carry the NAA id of the array LUN they map, which links the VM to the array volume', () => {
    expect(rdmWwn('/vmfs/devices/disks/naa.600A098038303053453F463045727A4B')).toBe('naa.600a098038303053453f463045727a4b');
  });

  it('yield nothing for virtual disks and device names that are not LUN ids', () => {
    expect(rdmWwn(undefined)).toBeUndefined();
    expect(rdmWwn('cdrom--201-824639314936')).toBeUndefined();
    expect(rdmWwn('/vmfs/devices/disks/mpx.vmhba32:C0:T0:L0')).toBeUndefined();
  });
});
