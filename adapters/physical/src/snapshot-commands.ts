import { dirname, relative } from 'node:path/posix';
import { UnsupportedError } from '@drkit/core';
import type { LinuxDisk } from './linux-disks.js';

/** Where drkit keeps file-level clones: beside the data, in a folder no one else uses. */
export const SNAPSHOT_DIR = '.drkit-snapshots';

/** A place one snapshot command acts on: b <subvolume>, r <image file>, l <vg/lv>, z <pool/volume>. */
export type Target = ['b' | 'r' | 'l' | 'z', string];

// Arguments: the snapshot name, then (kind, source) pairs. One btrfs snapshot per subvolume
// captures every image in it at one instant; ZFS volumes are gathered into ONE `zfs
// snapshot` (atomic across them, zfs-snapshot(8)); LVM snapshots are taken one by one,
// named <lv>_<name> (names are per volume group), tagged `drkit` (lvcreate(8)). A reflink
// clone shares the source's extents, holes stay holes: no --sparse (coreutils 9.1 refuses
// --sparse=always beside --reflink=always, which once failed every XFS snapshot).
export const TAKE_SCRIPT = String.raw`
name=$1; shift; n=$#; i=0
while [ $i -lt $n ]; do
  kind=$1; src=$2; shift 2; i=$((i + 2))
  case $kind in
    b) mkdir -p "$src/.drkit-snapshots" && btrfs subvolume snapshot -r "$src" "$src/.drkit-snapshots/$name" >/dev/null || exit 5 ;;
    r) d=$(dirname "$src")/.drkit-snapshots/$name
       mkdir -p "$d" && cp --reflink=always "$src" "$d/" || exit 6 ;;
    l) lvcreate --snapshot --name "$(basename "$src")_$name" --extents 20%ORIGIN --addtag drkit "$src" >/dev/null || exit 7 ;;
    z) set -- "$@" "$src@$name" ;;
  esac
done
[ $# -eq 0 ] || zfs snapshot "$@" || exit 8
`;

// Deleting ($1 = retire) keeps a file-level clone, marked `<name>.base`, as what a later run
// diffs its extent map against (extent-diff-script.ts), and removes all but the newest two
// bases of its store — two, so a point rolled back after the last good one cannot push out
// the base the store's newest point needs. ($1 = purge) removes outright: a half-taken
// snapshot. (A read-only btrfs snapshot cannot be renamed, hence a marker, not a move.)
// LVM and ZFS snapshots are always removed: without an extent map, a base costs space for
// nothing.
export const DELETE_SCRIPT = String.raw`
remove() { if [ "$1" = b ]; then btrfs subvolume delete "$2" >/dev/null; else rm -rf "$2"; fi; }
mode=$1; name=$2; shift 2; rc=0
while [ $# -ge 2 ]; do
  kind=$1; src=$2; shift 2
  case $kind in
    l) snap="$(dirname "$src")/$(basename "$src")_$name"
       ! lvs "$snap" >/dev/null 2>&1 || lvremove -y "$snap" >/dev/null || rc=7
       continue ;;
    z) ! zfs list -H -t snapshot "$src@$name" >/dev/null 2>&1 || zfs destroy "$src@$name" || rc=8
       continue ;;
    b) root=$src ;;
    r) root=$(dirname "$src") ;;
  esac
  dir="$root/.drkit-snapshots"
  [ -e "$dir/$name" ] || continue
  if [ "$mode" != retire ]; then remove "$kind" "$dir/$name" || rc=5; rm -f "$dir/$name.base"; continue; fi
  : > "$dir/$name.base" || rc=5
  ls -1 "$dir" | sed -n 's/[.]base$//p' | awk -F. '$NF ~ /^[0-9]+$/ { print $NF, $0 }' | sort -rn | awk 'NR > 2 { print $2 }' |
  while read -r old; do
    { [ ! -e "$dir/$old" ] || remove "$kind" "$dir/$old"; } && rm -f "$dir/$old.base" || exit 5
  done || rc=5
done
exit $rc
`;

// One line per snapshot drkit may own: "f <name>" for clone folders (".base" ones are retired
// bases, not leftovers), "l <lv name> <origin> <tags>" and "z <dataset@name>".
export const LIST_SCRIPT = String.raw`
while [ $# -ge 2 ]; do
  kind=$1; src=$2; shift 2
  case $kind in
    f) [ -d "$src" ] && ls -1 "$src" | sed 's/^/f /' ;;
    l) lvs --noheadings --separator ' ' -o lv_name,origin,lv_tags "$src" 2>/dev/null | sed 's/^ */l /' ;;
    z) zfs list -H -t snapshot -o name -r "$src" 2>/dev/null | sed 's/^/z /' ;;
  esac
done
true
`;

/** The snapshot commands' targets for these disks, each place once; a disk without a mechanism is refused. */
export function targetsOf(disks: LinuxDisk[]): Target[] {
  const out = new Map<string, Target>();
  for (const d of disks) {
    const m = d.mechanism;
    if (m.kind === 'none')
      throw new UnsupportedError('snapshot', `${m.reason}; narrow the machine to other disks with --disk`);
    const t: Target =
      m.kind === 'btrfs'
        ? ['b', m.subvolume]
        : m.kind === 'reflink'
          ? ['r', m.file]
          : m.kind === 'lvm'
            ? ['l', `${m.vg}/${m.lv}`]
            : ['z', m.dataset];
    out.set(t.join(' '), t);
  }
  return [...out.values()];
}

/** Where listTagged looks: clone folders, volume groups, ZFS volumes. */
export function listingTargets(disks: LinuxDisk[]): Array<['f' | 'l' | 'z', string]> {
  const out = new Map<string, ['f' | 'l' | 'z', string]>();
  for (const d of disks) {
    const m = d.mechanism;
    const t: ['f' | 'l' | 'z', string] | undefined =
      m.kind === 'btrfs'
        ? ['f', `${m.subvolume}/${SNAPSHOT_DIR}`]
        : m.kind === 'reflink'
          ? ['f', `${dirname(m.file)}/${SNAPSHOT_DIR}`]
          : m.kind === 'lvm'
            ? ['l', m.vg]
            : m.kind === 'zfs'
              ? ['z', m.dataset]
              : undefined;
    if (t) out.set(t.join(' '), t);
  }
  return [...out.values()];
}

/** Snapshot names in a LIST_SCRIPT answer: drkit's own (tagged, named `<tag>.<ms>`), retired bases left out. */
export function namesInListing(text: string): string[] {
  const lines = text.split('\n').filter(Boolean);
  const bases = new Set(
    lines.filter((l) => l.startsWith('f ') && l.endsWith('.base')).map((l) => l.slice(2, -'.base'.length)),
  );
  const names = lines.flatMap((l) => {
    const [kind, a, b, tags] = l.split(' ');
    if (kind === 'f') return a && !bases.has(a) ? [a] : [];
    // An LVM snapshot is `<origin>_<name>`, and only one tagged `drkit` is ours.
    if (kind === 'l')
      return a && b && (tags ?? '').split(',').includes('drkit') && a.startsWith(`${b}_`)
        ? [a.slice(b.length + 1)]
        : [];
    if (kind === 'z') return a?.includes('@') ? [a.slice(a.indexOf('@') + 1)] : [];
    return [];
  });
  return [...new Set(names)].filter(isSnapshotName);
}

/** The data of `disk` inside snapshot `name`: a clone's file, or a snapshot's block device. */
export function snapshotFile(disk: LinuxDisk, name: string): string {
  const m = disk.mechanism;
  if (m.kind === 'btrfs') return `${m.subvolume}/${SNAPSHOT_DIR}/${name}/${relative(m.subvolume, m.file)}`;
  if (m.kind === 'reflink')
    return `${dirname(m.file)}/${SNAPSHOT_DIR}/${name}/${m.file.slice(m.file.lastIndexOf('/') + 1)}`;
  if (m.kind === 'lvm') return `/dev/${m.vg}/${m.lv}_${name}`;
  if (m.kind === 'zfs') return `/dev/zvol/${m.dataset}@${name}`;
  throw new UnsupportedError('snapshot', m.reason);
}

/** True for mechanisms whose clones keep an extent map to diff (btrfs, reflink). */
export function diffable(disk: LinuxDisk): boolean {
  return disk.mechanism.kind === 'btrfs' || disk.mechanism.kind === 'reflink';
}

/**
 * True when one command captures every target at one instant: one btrfs subvolume, or ZFS
 * volumes only (one `zfs snapshot`). Otherwise the targets are snapshotted one after another.
 */
export function atomicAcross(targets: Target[]): boolean {
  return targets.length <= 1 || targets.every((t) => t[0] === 'z');
}

/** A snapshot name as drkit writes it (`<tag>.<epoch ms>`); anything else is refused. */
export function isSnapshotName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.\d+$/.test(name);
}
