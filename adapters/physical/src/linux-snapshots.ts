import {
  DrkitError,
  type PreparedSnapshot,
  type SnapshotOps,
  type SnapshotRequest,
  type TakenSnapshot,
  checkSnapshotTag,
} from '@drkit/core';
import type { SshRunner } from '@drkit/ssh';
import type { LinuxDisk } from './linux-disks.js';
import { freezeFilesystems, type Freeze } from './linux-freeze.js';
import {
  atomicAcross,
  DELETE_SCRIPT,
  LIST_SCRIPT,
  TAKE_SCRIPT,
  listingTargets,
  namesInListing,
  targetsOf,
} from './snapshot-commands.js';

export interface LinuxSnapshotContext {
  session: () => Promise<SshRunner>;
  machineId: string;
  disks: () => LinuxDisk[];
  hooks?: { pre?: string[]; post?: string[] };
  /** Default freeze budget when the request gives no deadline. */
  freezeBudgetMs?: number;
}

/** The id of a freeze-only member's "snapshot": there is nothing on the host to delete. */
const FREEZE_ONLY = 'freeze-only:';

interface Handle {
  freezeOnly?: boolean;
  disks: LinuxDisk[];
  freeze?: Freeze;
  warnings: string[];
  postHook: boolean;
}

export function linuxSnapshotOps(ctx: LinuxSnapshotContext): SnapshotOps {
  const checkName = (name: string) => checkSnapshotTag(name, { maxLength: 200 });
  const targets = (disks: LinuxDisk[]) => targetsOf(disks).flat();
  const checkMachine = (machineId: string) => {
    if (machineId !== ctx.machineId)
      throw new DrkitError('not-found', `this host is machine ${ctx.machineId}, not ${machineId}`);
  };
  const runHook = async (argv: string[] | undefined, signal?: AbortSignal) => {
    if (argv && argv.length > 0) await (await ctx.session()).exec({ argv }, { signal, timeoutMs: 120_000 });
  };

  return {
    async prepare(request: SnapshotRequest): Promise<PreparedSnapshot> {
      checkMachine(request.machineId);
      checkName(request.tag);
      const disks = ctx.disks();
      // Freeze-only: the disks are array LUNs another member snapshots; nothing to snapshot here.
      if (!request.freezeOnly) targets(disks); // refuse early, before anything is frozen
      const handle: Handle = { disks, warnings: [], postHook: false, ...(request.freezeOnly && { freezeOnly: true }) };
      if (request.consistency !== 'app') return { machineId: ctx.machineId, request, handle };
      const mounts = [...new Set(disks.flatMap((d) => d.mountpoints))];
      if (mounts.length === 0) {
        handle.warnings.push(
          'no filesystem is mounted from these disks: nothing to freeze, the point is crash-consistent',
        );
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
      if (h.freezeOnly) return freezeOnlyPoint(ctx.machineId, prepared, h);
      const name = `${checkName(prepared.request.tag)}.${Date.now()}`;
      const args = [name, ...targets(h.disks)];
      const purge = ['purge', ...args];
      try {
        await (await ctx.session()).exec({ script: TAKE_SCRIPT, args }, { signal: options.signal, timeoutMs: 120_000 });
      } catch (e) {
        // A half-taken snapshot is removed here: it never became a TakenSnapshot to roll back.
        await ctx
          .session()
          .then((s) => s.exec({ script: DELETE_SCRIPT, args: purge }, { timeoutMs: 120_000 }))
          .catch(() => {});
        throw e;
      }
      const requested = prepared.request.consistency;
      const warnings = [...h.warnings];
      if (!h.freeze && !atomicAcross(targetsOf(h.disks))) {
        warnings.push(
          `the disks were snapshotted one after another (${targetsOf(h.disks).length} snapshots, nothing frozen): each disk is crash-consistent, the set is not one instant`,
        );
      }
      let achieved = requested === 'app' && !h.freeze ? ('crash' as const) : requested;
      if (h.freeze?.mayHaveEnded()) {
        achieved = 'crash';
        warnings.push(
          'the freeze budget ran out before the snapshot was complete: the filesystems may have thawed first, so the point is crash-consistent',
        );
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
      if (snapshot.id.startsWith(FREEZE_ONLY)) return;
      await (await ctx.session()).exec(
        { script: DELETE_SCRIPT, args: ['retire', checkName(snapshot.id), ...targets(ctx.disks())] },
        { signal: options.signal, timeoutMs: 120_000 },
      );
    },

    async listTagged(tag, options = {}) {
      const { stdout } = await (await ctx.session()).exec(
        { script: LIST_SCRIPT, args: listingTargets(ctx.disks()).flat() },
        { signal: options.signal, timeoutMs: 60_000 },
      );
      const names = namesInListing(stdout.toString('utf8')).filter((n) => n.startsWith(tag));
      return names.map((id) => ({
        id,
        machineId: ctx.machineId,
        takenAt: new Date(Number(id.slice(id.lastIndexOf('.') + 1))).toISOString(),
      }));
    },
  };
}

/** What a freeze-only member took: no disks, and whether its freeze held until now. */
function freezeOnlyPoint(machineId: string, prepared: PreparedSnapshot, h: Handle): TakenSnapshot {
  const requested = prepared.request.consistency;
  const warnings = [...h.warnings];
  let achieved = requested === 'app' && h.freeze ? ('app' as const) : ('crash' as const);
  if (h.freeze?.mayHaveEnded()) {
    achieved = 'crash';
    warnings.push(
      'the freeze budget ran out while the array snapshot was being taken: the filesystems may have thawed first',
    );
  }
  return {
    id: `${FREEZE_ONLY}${prepared.request.tag}`,
    machineId,
    takenAt: new Date().toISOString(),
    requested,
    achieved,
    warnings,
    changeTokens: {},
    disks: [],
    tag: prepared.request.tag,
  };
}
