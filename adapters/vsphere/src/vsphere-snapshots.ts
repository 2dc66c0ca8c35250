import {
  DrkitError,
  type Consistency,
  type PreparedSnapshot,
  type SnapshotOps,
  type SnapshotRequest,
  type TakenSnapshot,
  checkSnapshotTag,
} from '@drkit/core';
import type { MoRef, Vim25Client } from './vim25-client.js';
import { createContainerView, destroyView } from './vsphere-views.js';
import { retrieveFromView } from './vsphere-property-collector.js';
import type { ServiceContent } from './vsphere-service-content.js';
import { waitForTask } from './vsphere-task.js';
import { findVm, snapshotDisks, snapshotRef, snapshotTree, vmState, type VmState } from './vsphere-vm.js';
import { xmlEscape } from './vim25-xml.js';
import { morefOf } from './vsphere-service-content.js';

export interface VSphereSnapshotContext {
  client: Vim25Client;
  content: () => ServiceContent;
  /** Runs a call, logging in again once if the session has expired (the call had not run). */
  withSession: <T>(fn: () => Promise<T>) => Promise<T>;
  /** How long a snapshot task may run before drkit stops waiting and reconciles. */
  taskDeadlineMs?: number;
}

/** Snapshot descriptions start with this, so a cleanup never touches anyone else's snapshots. */
export const DESCRIPTION_PREFIX = 'drkit:';

interface Handle {
  vm: MoRef;
  before: VmState;
}

/**
 * vSphere fuses quiesce, snapshot and release in CreateSnapshot_Task, so prepare only finds
 * the VM and notes its state, and take does it all. Quiesce is silently ignored for a VM
 * that is off or has no running Tools: the snapshot then says crash, and why.
 */
export function vsphereSnapshotOps(ctx: VSphereSnapshotContext): SnapshotOps {
  const { client } = ctx;
  const checkTag = (tag: string) => checkSnapshotTag(tag, { maxLength: 80 });
  return {
    async prepare(request: SnapshotRequest): Promise<PreparedSnapshot> {
      checkTag(request.tag);
      const vm = await ctx.withSession(() => findVm(client, ctx.content(), request.machineId, request.signal));
      const before = await ctx.withSession(() => vmState(client, ctx.content(), vm, request.signal));
      const handle: Handle = { vm, before };
      return { machineId: request.machineId, request, handle };
    },

    async take(prepared, options = {}): Promise<TakenSnapshot> {
      const { vm, before } = prepared.handle as Handle;
      const { consistency, tag } = prepared.request;
      const quiesce = consistency === 'app';
      const params = `<name>${xmlEscape(tag)}</name><description>${xmlEscape(DESCRIPTION_PREFIX + tag)}</description><memory>false</memory><quiesce>${quiesce}</quiesce>`;
      // Not resent after a lost answer: a second CreateSnapshot_Task would make a second snapshot.
      const task = morefOf(
        (await ctx.withSession(() => client.invoke('CreateSnapshot_Task', vm, params, { signal: options.signal })))
          .children[0],
      );
      if (!task) throw new DrkitError('protocol', 'CreateSnapshot_Task returned no task');
      const warnings: string[] = [];
      let snapshot: MoRef | undefined;
      try {
        snapshot = (
          await waitForTask(client, ctx.content().propertyCollector, task, `snapshot of ${before.name}`, {
            deadlineMs: ctx.taskDeadlineMs ?? 30 * 60_000,
            ...(options.signal && { signal: options.signal }),
          })
        ).result;
      } catch (error) {
        if (!(DrkitError.isInstance(error) && error.code === 'timeout')) throw error;
        // The task may still finish: whatever it made carries the tag and is found, never made twice.
        snapshot = (await vmState(client, ctx.content(), vm)).snapshots.find((s) => s.name === tag)?.snapshot;
        if (!snapshot) throw error;
        warnings.push('the snapshot task outran its deadline; the snapshot was found by its tag afterwards');
      }
      if (!snapshot) throw new DrkitError('protocol', `the snapshot task of ${before.name} returned no snapshot`);
      // The snapshot exists from here on; what follows only reads facts about it.
      const confirmedAt = Date.now();
      // The tree says whether vSphere really quiesced (and when the snapshot was made).
      const [after, disks] = await Promise.all([
        ctx.withSession(() => vmState(client, ctx.content(), vm, options.signal)),
        ctx.withSession(() => snapshotDisks(client, ctx.content(), snapshot!, options.signal)),
      ]);
      const node = after.snapshots.find((s) => s.snapshot.value === snapshot!.value);
      const achieved = achievedOf(consistency, before, node?.quiesced ?? false, warnings);
      // VSS (applications asked to flush) leaves a backup manifest; the sync driver or a
      // Linux freeze does not. Both are app-consistent in drkit's sense; say which it was.
      if (achieved === 'app' && !node?.backupManifest)
        warnings.push('quiesced at file-system level (no VSS backup manifest): applications were not asked to flush');
      return {
        id: snapshot.value,
        machineId: prepared.machineId,
        takenAt: node?.createTime || new Date().toISOString(),
        requested: consistency,
        achieved,
        warnings,
        changeTokens: Object.fromEntries(
          disks.flatMap((d) => (d.changeId ? [[`${prepared.machineId}/disk-${d.key}`, d.changeId]] : [])),
        ),
        disks: disks.map((d) => ({
          diskId: `${prepared.machineId}/disk-${d.key}`,
          name: d.label,
          sizeBytes: d.sizeBytes,
        })),
        tag,
        confirmedAt,
      };
    },

    async release() {},

    async delete(snapshot, options = {}) {
      try {
        const task = morefOf(
          (
            await ctx.withSession(() =>
              client.invoke(
                'RemoveSnapshot_Task',
                snapshotRef(snapshot.id),
                '<removeChildren>false</removeChildren><consolidate>true</consolidate>',
                { signal: options.signal },
              ),
            )
          ).children[0],
        );
        if (task)
          await waitForTask(client, ctx.content().propertyCollector, task, `removal of snapshot ${snapshot.id}`, {
            ...(options.signal && { signal: options.signal }),
          });
      } catch (error) {
        // Already gone is what delete wants.
        if (!(DrkitError.isInstance(error) && error.fault === 'ManagedObjectNotFound')) throw error;
      }
    },

    // drkit's snapshots hold no memory, so a reverted VM is powered off; suppressPowerOn says
    // so for snapshots of VMs that were off, too. The task is bounded like a snapshot's.
    async revert(snapshot, options = {}) {
      const task = morefOf(
        (
          await ctx.withSession(() =>
            client.invoke(
              'RevertToSnapshot_Task',
              snapshotRef(snapshot.id),
              '<suppressPowerOn>true</suppressPowerOn>',
              { signal: options.signal },
            ),
          )
        ).children[0],
      );
      if (!task) throw new DrkitError('protocol', 'RevertToSnapshot_Task returned no task');
      await waitForTask(client, ctx.content().propertyCollector, task, `revert to snapshot ${snapshot.id}`, {
        deadlineMs: ctx.taskDeadlineMs ?? 30 * 60_000,
        ...(options.signal && { signal: options.signal }),
      });
    },

    async listTagged(tag, options = {}) {
      checkTag(tag);
      return ctx.withSession(async () => {
        const view = await createContainerView(client, ctx.content(), ['VirtualMachine'], options.signal);
        try {
          const found: Array<Pick<TakenSnapshot, 'id' | 'machineId' | 'takenAt'>> = [];
          const pages = retrieveFromView(
            client,
            ctx.content().propertyCollector,
            view,
            [{ type: 'VirtualMachine', paths: ['config.instanceUuid', 'snapshot'] }],
            {
              maxObjects: 500,
              ...(options.signal && { signal: options.signal }),
              map: (o) => ({
                id: o.props.get('config.instanceUuid')?.text ?? o.obj.value,
                snapshots: snapshotTree(o.props.get('snapshot')),
              }),
            },
          );
          for await (const page of pages) {
            for (const vm of page) {
              for (const s of vm.snapshots)
                if (s.name === tag && s.description.startsWith(DESCRIPTION_PREFIX))
                  found.push({ id: s.snapshot.value, machineId: vm.id, takenAt: s.createTime });
            }
          }
          return found;
        } finally {
          await destroyView(client, view);
        }
      });
    },
  };
}

function achievedOf(requested: Consistency, before: VmState, quiesced: boolean, warnings: string[]): Consistency {
  if (requested === 'crash') return 'crash';
  if (before.powerState !== 'poweredOn') warnings.push(`the VM was ${before.powerState}: quiesce does nothing for it`);
  else if (before.toolsRunning !== 'guestToolsRunning')
    warnings.push(`VMware Tools was not running (${before.toolsRunning}): nothing in the guest was quiesced`);
  else if (!quiesced) warnings.push('vSphere did not record the snapshot as quiesced');
  if (warnings.length === 0) return 'app';
  warnings.push('the snapshot is crash-consistent');
  return 'crash';
}
