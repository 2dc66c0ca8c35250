import { DrkitError } from '@drkit/core';

/** One block device as lsblk prints it, either util-linux generation. */
export interface BlockDevice {
  name: string;
  kname: string;
  path: string;
  sizeBytes: number;
  type: string;
  fstype?: string;
  /** util-linux ≥ 2.37 prints `mountpoints` (an array); older ones `mountpoint`. */
  mountpoints: string[];
  serial?: string;
  wwn?: string;
  model?: string;
  readOnly: boolean;
  children: BlockDevice[];
}

/** A mounted filesystem on a block device, as findmnt prints it. */
export interface MountedFilesystem {
  target: string;
  source: string;
  fstype: string;
  sizeBytes?: number;
  availBytes?: number;
}

export interface NetInterface {
  name: string;
  mac?: string;
  up: boolean;
  addresses: string[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * `lsblk -J -b -o …` output (util-linux ≥ 2.27; sizes numbers or strings, `ro` a boolean or
 * "0"/"1"), or — from hosts older than that (RHEL/CentOS 7 ship 2.23) — `lsblk -P` pairs
 * after a `#pairs` line (see parseLsblkPairs).
 */
export function parseLsblk(text: string): BlockDevice[] {
  if (text.trimStart().startsWith(PAIRS_MARK)) return parseLsblkPairs(text.trimStart().slice(PAIRS_MARK.length));
  const doc = parseJson(text, 'lsblk') as { blockdevices?: unknown[] };
  if (!Array.isArray(doc.blockdevices)) throw new DrkitError('protocol', 'lsblk printed no blockdevices array');
  return doc.blockdevices.map(toDevice);
}

function toDevice(raw: unknown): BlockDevice {
  const d = raw as Record<string, unknown>;
  const kname = str(d.kname) ?? str(d.name);
  const size = Number(d.size);
  if (!kname || !Number.isSafeInteger(size))
    throw new DrkitError(
      'protocol',
      `lsblk printed a device without name or byte size: ${JSON.stringify(d).slice(0, 120)}`,
    );
  const mounts = Array.isArray(d.mountpoints) ? d.mountpoints : [d.mountpoint];
  return {
    name: str(d.name) ?? kname,
    kname,
    path: str(d.path) ?? `/dev/${kname}`,
    sizeBytes: size,
    type: str(d.type) ?? 'unknown',
    ...(str(d.fstype) && { fstype: str(d.fstype) }),
    mountpoints: mounts.map(str).filter((m): m is string => !!m && !m.startsWith('[')),
    ...(str(d.serial) && { serial: str(d.serial) }),
    ...(str(d.wwn) && { wwn: str(d.wwn) }),
    ...(str(d.model) && { model: str(d.model) }),
    readOnly: d.ro === true || d.ro === '1' || d.ro === 1,
    children: Array.isArray(d.children) ? d.children.map(toDevice) : [],
  };
}

/** What the facts script prints before `lsblk -P` output. */
export const PAIRS_MARK = '#pairs';

/**
 * `lsblk -P -b -o NAME,KNAME,PKNAME,…`: one device a line as KEY="value" pairs, characters
 * lsblk deems unsafe written `\xHH`; no tree, so children are hung under PKNAME. A device
 * with several parents (an LV spanning PVs) is listed once under each.
 */
export function parseLsblkPairs(text: string): BlockDevice[] {
  const rows = text
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const row: Record<string, string> = {};
      for (const m of line.matchAll(/([A-Z][A-Z0-9:_-]*)="((?:[^"\\]|\\.)*)"/g)) {
        row[m[1]!.toLowerCase()] = m[2]!
          .replace(/\\x([0-9a-fA-F]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16)))
          .replace(/\\(.)/g, '$1');
      }
      if (!row.kname && !row.name)
        throw new DrkitError('protocol', `lsblk printed a line without NAME: ${line.slice(0, 120)}`);
      return row;
    });
  const devices = rows.map((r) => ({ row: r, device: toDevice({ ...r, mountpoint: r.mountpoint }) }));
  const top: BlockDevice[] = [];
  for (const { row, device } of devices) {
    const parent = row.pkname ? devices.find((d) => d.device.kname === row.pkname) : undefined;
    if (parent) parent.device.children.push(device);
    else top.push(device);
  }
  return top;
}

/** `losetup -J -l -O NAME,BACK-FILE`: loop device → backing file. */
export function parseLosetup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!text.trim()) return out;
  const doc = parseJson(text, 'losetup') as { loopdevices?: Array<Record<string, unknown>> };
  for (const d of doc.loopdevices ?? []) {
    const name = str(d.name);
    const back = str(d['back-file']);
    // The kernel appends " (deleted)" when the backing file was unlinked.
    if (name && back) out.set(name, back.replace(/ \(deleted\)$/, ''));
  }
  return out;
}

/**
 * `findmnt -J -b -o TARGET,SOURCE,FSTYPE,SIZE,AVAIL`: a tree, flattened; only filesystems on
 * block devices (not proc, tmpfs, overlays). A source like `/dev/sda2[/@home]` (a btrfs
 * subvolume) keeps its device part.
 */
export function parseFindmnt(text: string): MountedFilesystem[] {
  if (!text.trim()) return [];
  const doc = parseJson(text, 'findmnt') as { filesystems?: unknown[] };
  const out: MountedFilesystem[] = [];
  const walk = (raw: unknown) => {
    const f = raw as Record<string, unknown>;
    const source = str(f.source)?.replace(/\[.*\]$/, '');
    const target = str(f.target);
    if (source?.startsWith('/dev/') && target) {
      const size = Number(f.size);
      const avail = Number(f.avail);
      out.push({
        target,
        source,
        fstype: str(f.fstype) ?? 'unknown',
        ...(Number.isSafeInteger(size) && size > 0 && { sizeBytes: size }),
        ...(Number.isSafeInteger(avail) && f.avail !== null && { availBytes: avail }),
      });
    }
    if (Array.isArray(f.children)) f.children.forEach(walk);
  };
  (doc.filesystems ?? []).forEach(walk);
  return out;
}

/** `ip -j addr`. */
export function parseIpAddr(text: string): NetInterface[] {
  if (!text.trim()) return [];
  const doc = parseJson(text, 'ip') as Array<Record<string, unknown>>;
  return doc.map((i) => ({
    name: str(i.ifname) ?? '?',
    ...(str(i.address) && i.link_type !== 'loopback' && { mac: str(i.address) }),
    up: Array.isArray(i.flags) && i.flags.includes('UP'),
    addresses: ((i.addr_info as Array<Record<string, unknown>>) ?? [])
      .map((a) => str(a.local))
      .filter((a): a is string => !!a),
  }));
}

/** /etc/os-release: KEY=value lines, values optionally quoted. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!;
    if (/^(["']).*\1$/.test(v)) v = v.slice(1, -1).replace(/\\(["$`\\])/g, '$1');
    out[m[1]!] = v;
  }
  return out;
}

/** MemTotal from /proc/meminfo, in bytes. */
export function parseMemTotal(text: string): number | undefined {
  const m = /MemTotal:\s+(\d+)\s*kB/.exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

function parseJson(text: string, tool: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new DrkitError('protocol', `${tool} printed output that is not JSON`, { cause });
  }
}
