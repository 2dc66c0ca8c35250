import { dirname, relative } from 'node:path/posix';
import { DrkitError, type PreparedSnapshot, type SnapshotOps, type SnapshotRequest, type TakenSnapshot } from '@drkit/core';
import type { SshRunner } from '@drkit/ssh';
import type { LinuxDisk } from './linux-disks.js';
import { freezeFilesystems, type Freeze } from './linux-freeze.js';

/** Where drkit keeps its snapshots: beside the data, in a folder no one else uses. */
export const SNAPSHOT_DIR = '.drkit-snapshots';

// Arguments: the snapshot name, then pairs of (b <subvolume> | r <file>). One btrfs
// snapshot per subvolume captures every disk file in it at one instant.
const TAKE_SCRIPT = String.raw`
name=$1; shift
while [ $# -ge 2 ]; do
  kind=$1; src=$2; shift 2
  case $kind in
    b) mkdir -p "$src/.drkit-snapshots" && btrfs subvolume snapshot -r "$src" "$src/.drkit-snapshots/$name" >/dev/null || exit 5 ;;
    r) d=$(dirname "$src")/.drkit-snapshots/$name
       mkdir -p "$d" && cp --reflink=always --sparse=always "$src" "$d/" || exit 6 ;;
  esac
done
`;

// Deleting retires: the newest snapshot of each store stays, marked `<name>.base`, as what
// the next run diffs its extent map against (extent-diff-script.ts); older bases and
// anything older than the current base are removed. (A read-only btrfs snapshot cannot be
// renamed, hence a marker rather than a move.) One base per store: it costs the blocks
// changed since it was taken.
const DELETE_SCRIPT = String.raw`
suffix() { printf '%s' "$1" | sed 's/.*[.]//'; }
remove() { if [ "$1" = b ]; then btrfs subvolume delete "$2" >/dev/null; else rm -rf "$2"; fi; }
name=$1; shift; rc=0; ts=$(suffix "$name")
while [ $# -ge 2 ]; do
  kind=$1; src=$2; shift 2
  if [ "$kind" = b ]; then root=$src; else root=$(dirname "$src"); fi
  dir="$root/.drkit-snapshots"
  [ -e "$dir/$name" ] || continue
  [ -e "$dir/$name.base" ] && continue
  keep=1
  for m in "$dir"/*.base; do
    [ -e "$m" ] || continue
    old=$(printf '%s' "$m" | sed 's/[.]base$//'); ots=$(suffix "$old")
    case $ots in *[!0-9]*|'') continue ;; esac
    if [ "$ots" -gt "$ts" ]; then keep=0; else { [ ! -e "$old" ] || remove "$kind" "$old"; } && rm -f "$m" || rc=5; fi
  done
  if [ $keep = 1 ]; then : > "$dir/$name.base" || rc=5; else remove "$kind" "$dir/$name" || rc=5; fi
done
exit $rc
`;

// Retired bases (marked .base) are not leftovers: they are listed apart and never returned.
const LIST_SCRIPT = String.raw`for d; do [ -d "$d" ] && ls -1 "$d"; done; true`;

export interface LinuxSnapshotContext {
  session: () => Promise<SshRunner>;
  machineId: string;
  disks: () => LinuxDisk[];
  hooks?: { pre?: string[]; post?: string[] };
  /** Default freeze budget when the request gives no deadline. */
  freezeBudgetMs?: number;
}

interface Handle {
  disks: LinuxDisk[];
  freeze?: Freeze;
  warnings: string[];
  postHook: boolean;
}

/** The data file of `disk` inside snapshot `name`. */
export function snapshotFile(disk: LinuxDisk, name: string): string {
  const m = disk.mechanism;
  if (m.kind === 'btrfs') return `${m.subvolume}/${SNAPSHOT_DIR}/${name}/${relative(m.subvolume, m.file)}`;
  if (m.kind === 'reflink') return `${dirname(m.file)}/${SNAPSHOT_DIR}/${name}/${m.file.slice(m.file.lastIndexOf('/') + 1)}`;
  throw new DrkitError('unsupported', m.reason);
}

/** A snapshot name as drkit writes it (`<tag>.<epoch ms>`); anything else is refused. */
export function isSnapshotName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.\d+$/.test(name);
}

export function linuxSnapshotOps(ctx: LinuxSnapshotContext): SnapshotOps {
  const checkName = (name: string) => {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/.test(name)) throw new DrkitError('bad-input', `snapshot tag ${JSON.stringify(name)} must be letters, digits, ".", "_" or "-"`);
    return name;
  };
  const targets = (disks: LinuxDisk[]) => {
    const args: string[] = [];
    const seen = new Set<string>();
    for (const d of disks) {
      const m = d.mechanism;
      if (m.kind === 'none') throw new DrkitError('unsupported', `${m.reason}; narrow the machine to other disks with --disk`);
      const key = m.kind === 'btrfs' ? `b ${m.subvolume}` : `r ${m.file}`;
      if (seen.has(key)) continue;
      seen.add(key);
      args.push(m.kind === 'btrfs' ? 'b' : 'r', m.kind === 'btrfs' ? m.subvolume : m.file);
    }
    return args;
  };
  const snapshotDirs = (disks: LinuxDisk[]) => [
    ...new Set(disks.flatMap((d) => (d.mechanism.kind === 'btrfs' ? [`${d.mechanism.subvolume}/${SNAPSHOT_DIR}`] : d.mechanism.kind === 'reflink' ? [`${dirname(d.mechanism.file)}/${SNAPSHOT_DIR}`] : []))),
  ];
  const checkMachine = (machineId: string) => {
    if (machineId !== ctx.machineId) throw new DrkitError('not-found', `this host is machine ${ctx.machineId}, not ${machineId}`);
  };
  const runHook = async (argv: string[] | undefined, signal?: AbortSignal) => {
    if (argv && argv.length > 0) await (await ctx.session()).exec({ argv }, { signal, timeoutMs: 120_000 });
  };

  return {
    async prepare(request: SnapshotRequest): Promise<PreparedSnapshot> {
      checkMachine(request.machineId);
      checkName(request.tag);
      const disks = ctx.disks();
      targets(disks); // refuse early, before anything is frozen
      const handle: Handle = { disks, warnings: [], postHook: false };
      if (request.consistency !== 'app') return { machineId: ctx.machineId, request, handle };
      const mounts = [...new Set(disks.flatMap((d) => d.mountpoints))];
      if (mounts.length === 0) {
        handle.warnings.push('no filesystem is mounted from these disks: nothing to freeze, the point is crash-consistent');
        return { machineId: ctx.machineId, request, handle };
      }
      await runHook(ctx.hooks?.pre, request.signal);
      handle.postHook = true;
      const budget = request.freezeDeadline ? request.freezeDeadline - Date.now() : (ctx.freezeBudgetMs ?? 10_000);
      if (budget <= 0) throw new DrkitError('timeout', 'the freeze deadline passed before the freeze began');
      try {
        handle.freeze = await freezeFilesystems(await ctx.session(), mounts, budget, request.signal);
      } catch (e) {
        await runHook(ctx.hooks?.post).catch(() => {});
        throw e;
      }
      return { machineId: ctx.machineId, request, frozenAt: handle.freeze.frozenAt, handle };
    },

    async take(prepared, options = {}): Promise<TakenSnapshot> {
      const h = prepared.handle as Handle;
      const name = `${checkName(prepared.request.tag)}.${Date.now()}`;
      const args = [name, ...targets(h.disks)];
      try {
        await (await ctx.session()).exec({ script: TAKE_SCRIPT, args }, { signal: options.signal, timeoutMs: 120_000 });
      } catch (e) {
        // A half-taken snapshot is removed here: it never became a TakenSnapshot to roll back.
        await ctx
          .session()
          .then((s) => s.exec({ script: DELETE_SCRIPT, args }, { timeoutMs: 120_000 }))
          .catch(() => {});
        throw e;
      }
      const requested = prepared.request.consistency;
      const warnings = [...h.warnings];
      let achieved = requested === 'app' && !h.freeze ? ('crash' as const) : requested;
      if (h.freeze?.mayHaveEnded()) {
        achieved = 'crash';
        warnings.push('the freeze budget ran out before the snapshot was complete: the filesystems may have thawed first, so the point is crash-consistent');
      }
      return {
        id: name,
        machineId: ctx.machineId,
        takenAt: new Date().toISOString(),
        requested,
        achieved,
        warnings,
        // The next run diffs its snapshot's extent map against this one's.
        changeTokens: Object.fromEntries(h.disks.map((d) => [d.id, name])),
        disks: h.disks.map((d) => ({ diskId: d.id, name: d.device.kname, sizeBytes: d.device.sizeBytes })),
        tag: prepared.request.tag,
      };
    },

    async release(prepared) {
      const h = prepared.handle as Handle;
      try {
        await h.freeze?.thaw();
      } finally {
        if (h.postHook) {
          h.postHook = false;
          await runHook(ctx.hooks?.post);
        }
      }
    },

    async delete(snapshot, options = {}) {
      checkMachine(snapshot.machineId);
      await (await ctx.session()).exec({ script: DELETE_SCRIPT, args: [checkName(snapshot.id), ...targets(ctx.disks())] }, { signal: options.signal, timeoutMs: 120_000 });
    },

    async listTagged(tag, options = {}) {
      const { stdout } = await (await ctx.session()).exec({ script: LIST_SCRIPT, args: snapshotDirs(ctx.disks()) }, { signal: options.signal, timeoutMs: 60_000 });
      const listed = stdout.toString('utf8').split('\n');
      const bases = new Set(listed.filter((n) => n.endsWith('.base')).map((n) => n.slice(0, -'.base'.length)));
      const names = [...new Set(listed.filter((n) => n.startsWith(tag) && isSnapshotName(n) && !bases.has(n)))];
      return names.map((id) => ({ id, machineId: ctx.machineId, takenAt: new Date(Number(id.slice(id.lastIndexOf('.') + 1))).toISOString() }));
    },
  };
}
