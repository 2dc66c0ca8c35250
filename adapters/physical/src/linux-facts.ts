import { DrkitError } from '@drkit/core';
import type { SshRunner } from '@drkit/ssh';
import {
  parseFindmnt,
  parseIpAddr,
  parseLosetup,
  parseLsblk,
  parseMemTotal,
  parseOsRelease,
  type BlockDevice,
  type MountedFilesystem,
  type NetInterface,
} from './linux-parsers.js';
import { parseLvs, parseZvols, type LogicalVolume, type Zvol } from './volume-parsers.js';

/** What one look at a Linux host tells: identity, OS, devices, addresses, tools. */
export interface LinuxFacts {
  machineId: string;
  hostname: string;
  kernel: string;
  os: Record<string, string>;
  cpuCount?: number;
  memoryBytes?: number;
  devices: BlockDevice[];
  /** Loop device path → backing file. */
  loopBacking: Map<string, string>;
  /** Backing file → where a snapshot of it can be taken. */
  backingStore: Map<string, BackingStore>;
  interfaces: NetInterface[];
  /** Filesystems mounted from block devices. */
  filesystems: MountedFilesystem[];
  /** Snapshot and helper tools found on PATH. */
  tools: Set<string>;
  /** LVM logical volumes (lvs), when the host has LVM. */
  logicalVolumes: LogicalVolume[];
  /** ZFS volumes (zfs list -t volume), when the host has ZFS. */
  zvols: Zvol[];
  /**
   * The system python3 by absolute path, ahead of whatever PATH finds (a user's pyenv shim
   * costs a shell script per start and may be any version). Absent: no disk reads.
   */
  python?: string;
}

export interface BackingStore {
  /** Filesystem type of the backing file (`btrfs`, `xfs`, …). */
  fstype: string;
  /** For btrfs: the subvolume that holds the file, which one snapshot captures whole. */
  subvolume?: string;
}

// lsblk's MOUNTPOINTS column is new in util-linux 2.37, so older hosts fall back to
// MOUNTPOINT; JSON is new in 2.27, so older ones (RHEL/CentOS 7: 2.23) print KEY="value"
// pairs, without SERIAL where it is unknown.
export const LSBLK_COMMAND = String.raw`lsblk -J -b -o NAME,KNAME,PATH,SIZE,TYPE,FSTYPE,MOUNTPOINTS,SERIAL,WWN,MODEL,RO 2>/dev/null || lsblk -J -b -o NAME,KNAME,SIZE,TYPE,FSTYPE,MOUNTPOINT,SERIAL,WWN,MODEL,RO 2>/dev/null || { echo '#pairs'; lsblk -P -b -o NAME,KNAME,PKNAME,SIZE,TYPE,FSTYPE,MOUNTPOINT,SERIAL,WWN,MODEL,RO 2>/dev/null || lsblk -P -b -o NAME,KNAME,PKNAME,SIZE,TYPE,FSTYPE,MOUNTPOINT,WWN,MODEL,RO; }`;

// One round trip: each section is a fixed command.
const FACTS_SCRIPT = String.raw`
section() { printf '\n=== %s\n' "$1"; }
section machine-id; cat /etc/machine-id 2>/dev/null || cat /var/lib/dbus/machine-id 2>/dev/null
section hostname; uname -n
section kernel; uname -sr
section os-release; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
section nproc; nproc 2>/dev/null
section meminfo; grep MemTotal /proc/meminfo
section lsblk; ${LSBLK_COMMAND}
section losetup; losetup -J -l -O NAME,BACK-FILE 2>/dev/null
section findmnt; findmnt -J -b -o TARGET,SOURCE,FSTYPE,SIZE,AVAIL 2>/dev/null
section ip; ip -j addr 2>/dev/null
section tools; for t in btrfs fsfreeze lvcreate zfs timeout; do command -v "$t" >/dev/null 2>&1 && echo "$t"; done
section lvs; command -v lvs >/dev/null 2>&1 && lvs --reportformat json --units b --nosuffix -o lv_name,vg_name,lv_size,lv_attr,lv_dm_path,origin,lv_tags 2>/dev/null
section zvols; command -v zfs >/dev/null 2>&1 && zfs list -H -p -t volume -o name,volsize,snapdev 2>/dev/null | while IFS="$(printf '	')" read -r n s d; do printf '%s	%s	%s	%s
' "$n" "$s" "$d" "$(readlink -f "/dev/zvol/$n")"; done
section python; for p in /usr/bin/python3 /usr/local/bin/python3 "$(command -v python3)"; do [ -x "$p" ] && { echo "$p"; break; }; done
`;

// Per backing file: its filesystem type and, on btrfs, the subvolume root above it
// (subvolume roots are inode 256).
const BACKING_SCRIPT = String.raw`
for f; do
  t=$(stat -f -c %T "$f" 2>/dev/null) || { printf '%s\t?\t\n' "$f"; continue; }
  d=$(dirname "$f"); s=
  if [ "$t" = btrfs ]; then
    while [ "$(stat -c %i "$d")" != 256 ] && [ "$d" != / ]; do d=$(dirname "$d"); done
    s=$d
  fi
  printf '%s\t%s\t%s\n' "$f" "$t" "$s"
done
`;

export async function gatherLinuxFacts(session: SshRunner, signal?: AbortSignal): Promise<LinuxFacts> {
  const { stdout } = await session.exec({ script: FACTS_SCRIPT }, { signal, timeoutMs: 60_000 });
  const sections = splitSections(stdout.toString('utf8'));
  const need = (name: string) => {
    const v = sections.get(name);
    if (v === undefined || v.trim() === '')
      throw new DrkitError('protocol', `the host printed nothing for ${name}; is it Linux?`);
    return v;
  };
  const loopBacking = parseLosetup(sections.get('losetup') ?? '');
  const backingStore = new Map<string, BackingStore>();
  const files = [...new Set(loopBacking.values())];
  if (files.length > 0) {
    const { stdout: b } = await session.exec({ script: BACKING_SCRIPT, args: files }, { signal, timeoutMs: 60_000 });
    for (const line of b.toString('utf8').split('\n')) {
      const [file, fstype, subvolume] = line.split('\t');
      if (file && fstype && fstype !== '?') backingStore.set(file, { fstype, ...(subvolume && { subvolume }) });
    }
  }
  const hostname = need('hostname').trim();
  const nproc = Number(sections.get('nproc')?.trim());
  return {
    machineId: sections.get('machine-id')?.trim() || hostname,
    hostname,
    kernel: need('kernel').trim(),
    os: parseOsRelease(sections.get('os-release') ?? ''),
    ...(Number.isInteger(nproc) && nproc > 0 && { cpuCount: nproc }),
    ...(parseMemTotal(sections.get('meminfo') ?? '') !== undefined && {
      memoryBytes: parseMemTotal(sections.get('meminfo')!),
    }),
    devices: parseLsblk(need('lsblk')),
    loopBacking,
    backingStore,
    interfaces: parseIpAddr(sections.get('ip') ?? ''),
    filesystems: parseFindmnt(sections.get('findmnt') ?? ''),
    tools: new Set(
      (sections.get('tools') ?? '')
        .split('\n')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
    ...(sections.get('python')?.trim() && { python: sections.get('python')!.trim() }),
    logicalVolumes: parseLvs(sections.get('lvs') ?? ''),
    zvols: parseZvols(sections.get('zvols') ?? ''),
  };
}

export function splitSections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = text.split(/\n=== ([a-z-]+)\n/);
  for (let i = 1; i + 1 < parts.length; i += 2) out.set(parts[i]!, parts[i + 1]!);
  return out;
}
