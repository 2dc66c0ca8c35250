import { DrkitError } from '@drkit/core';

/** An LVM logical volume as `lvs --reportformat json --units b --nosuffix` prints it (lvs(8)). */
export interface LogicalVolume {
  vg: string;
  lv: string;
  sizeBytes: number;
  /** lv_attr: the first letter is the volume type (`s` snapshot, `o` origin, `-` plain, …). */
  attr: string;
  /** /dev/mapper/<vg>-<lv>, as lsblk shows the device. */
  dmPath: string;
  /** The origin when this is a snapshot. */
  origin?: string;
  tags: string[];
}

/** A ZFS volume: `zfs list -H -p -t volume -o name,volsize,snapdev` plus its /dev/zdN. */
export interface Zvol {
  name: string;
  sizeBytes: number;
  /** `visible` makes /dev/zvol/<name>@<snap> exist, which is how drkit reads a snapshot. */
  snapdev: string;
  device: string;
}

export function parseLvs(text: string): LogicalVolume[] {
  if (!text.trim()) return [];
  let doc: { report?: Array<{ lv?: Array<Record<string, string>> }> };
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new DrkitError('protocol', 'lvs printed output that is not JSON', { cause });
  }
  return (doc.report ?? []).flatMap((r) =>
    (r.lv ?? []).map((v) => {
      const sizeBytes = Number(v.lv_size);
      if (!v.lv_name || !v.vg_name || !Number.isSafeInteger(sizeBytes))
        throw new DrkitError(
          'protocol',
          `lvs printed a volume without name or byte size: ${JSON.stringify(v).slice(0, 120)}`,
        );
      return {
        vg: v.vg_name,
        lv: v.lv_name,
        sizeBytes,
        attr: v.lv_attr ?? '',
        dmPath: v.lv_dm_path || `/dev/mapper/${v.vg_name.replace(/-/g, '--')}-${v.lv_name.replace(/-/g, '--')}`,
        ...(v.origin && { origin: v.origin }),
        tags: (v.lv_tags ?? '').split(',').filter(Boolean),
      };
    }),
  );
}

export function parseZvols(text: string): Zvol[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const [name, size, snapdev, device] = line.split('\t');
      const sizeBytes = Number(size);
      if (!name || !Number.isSafeInteger(sizeBytes))
        throw new DrkitError('protocol', `zfs list printed ${JSON.stringify(line.slice(0, 120))}`);
      return { name, sizeBytes, snapdev: snapdev ?? 'hidden', device: device ?? '' };
    });
}
