import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import {
  checkSnapshotTag,
  DrkitError,
  mappedNetworks,
  parseRecoveryMark,
  recoveryMark,
  recoveryStep,
  withRecoveryState,
  UnsupportedError,
  type RecoveredMachine,
  type RecoveryOps,
  type RecoveryRequest,
} from '@drkit/core';
import { morefXml, type MoRef } from './vim25-client.js';
import { morefList, retrieveFromView, retrieveObject, type ObjectContent } from './vsphere-property-collector.js';
import { morefOf } from './vsphere-service-content.js';
import { waitForTask } from './vsphere-task.js';
import { findVm, vmState } from './vsphere-vm.js';
import { children, xmlEscape } from './vim25-xml.js';
import { createContainerView, destroyView } from './vsphere-views.js';
import { parseDatastorePath } from './vsphere-disk-source.js';
import { uploadToDatastore } from './datastore-upload.js';
import { vsphereWriteBack } from './vsphere-write-back.js';
import type { VSphereRecoveryContext } from './vsphere-recovery-context.js';

// The guest type a recovered VM gets when the point says only the OS family.
const GUEST_ID = {
  windows: 'windows9Server64Guest',
  linux: 'otherLinux64Guest',
  other: 'otherGuest64',
  unknown: 'otherGuest64',
};

/**
 * Recovery into vSphere by the datastore route: CreateVM_Task makes the VM (CPU, memory, a
 * SCSI controller, NICs on the mapped networks), each disk's flat extent and a VMFS descriptor
 * go up over `/folder` PUT into the VM's own folder (the HTTP interface replication reads
 * from), ReconfigVM_Task attaches them, PowerOnVM_Task starts it. Chosen over ImportVApp + an
 * HttpNfcLease: no OVF to write, no streamOptimized conversion (a raw image goes up as it is,
 * at the datastore's write speed), no lease to keep alive. The VM comes first so that whatever
 * a crash leaves is a tagged VM whose folder holds every uploaded file: Destroy_Task removes
 * all of it. Its annotation — `drkit-recovery:<tag>`, the point, and `state=building|ready|
 * committed` — is how a re-run and a cleanup find it, and nothing without it is ever touched.
 */
export function vsphereRecovery(ctx: VSphereRecoveryContext): RecoveryOps {
  const { client } = ctx;
  const collector = () => ctx.content().propertyCollector;

  const list = (type: string, paths: string[], signal?: AbortSignal, root?: MoRef) =>
    ctx.withSession(async () => {
      const view = await createContainerView(client, ctx.content(), [type], signal, root);
      try {
        const out: ObjectContent[] = [];
        for await (const page of retrieveFromView(client, collector(), view, [{ type, paths }], {
          maxObjects: 500,
          ...(signal && { signal }),
          map: (o) => o,
        }))
          out.push(...page);
        return out;
      } finally {
        await destroyView(client, view);
      }
    });

  const task = async (
    response: Promise<{ children: Array<{ type?: string; text: string }> }>,
    what: string,
    signal?: AbortSignal,
  ) => {
    const ref = morefOf((await response).children[0] as never);
    if (!ref) throw new DrkitError('protocol', `${what}: no task returned`);
    return waitForTask(client, collector(), ref, what, signal ? { signal } : {});
  };

  /** A standard port group is named; a distributed one is its switch's uuid and its key. */
  const nicBacking = async (name: string, ref: MoRef, signal?: AbortSignal): Promise<string> => {
    if (ref.type === 'Network')
      return `<backing xsi:type="VirtualEthernetCardNetworkBackingInfo"><deviceName>${xmlEscape(name)}</deviceName>${morefXml('network', ref)}</backing>`;
    if (ref.type !== 'DistributedVirtualPortgroup')
      throw new UnsupportedError('recovery', `${name} is a ${ref.type}: recovery maps NICs to port groups`);
    const pg = await ctx.withSession(() =>
      retrieveObject(client, collector(), ref, ['key', 'config.distributedVirtualSwitch'], signal),
    );
    const dvs = morefOf(pg?.props.get('config.distributedVirtualSwitch'));
    const sw = dvs && (await ctx.withSession(() => retrieveObject(client, collector(), dvs, ['uuid'], signal)));
    const uuid = sw?.props.get('uuid')?.text;
    const key = pg?.props.get('key')?.text;
    if (!uuid || !key) throw new DrkitError('protocol', `${name}: its switch uuid or port group key is not readable`);
    return `<backing xsi:type="VirtualEthernetCardDistributedVirtualPortBackingInfo"><port><switchUuid>${xmlEscape(uuid)}</switchUuid><portgroupKey>${xmlEscape(key)}</portgroupKey></port></backing>`;
  };

  const reconfigure = (vm: MoRef, spec: string, what: string, signal?: AbortSignal) =>
    ctx.withSession(() => task(client.invoke('ReconfigVM_Task', vm, spec, { signal }), what, signal));
  const mark = (vm: MoRef, note: string, signal?: AbortSignal) =>
    reconfigure(vm, `<spec><annotation>${xmlEscape(note)}</annotation></spec>`, 'marking a recovered VM', signal);
  /** A VM a drkit recovery made (its annotation says so), or an error: nothing else is ever changed. */
  const ours = async (machineId: string, signal?: AbortSignal) => {
    const vm = await ctx.withSession(() => findVm(client, ctx.content(), machineId, signal));
    const state = await ctx.withSession(() =>
      retrieveObject(client, collector(), vm, ['runtime.powerState', 'config.annotation'], signal),
    );
    const note = state?.props.get('config.annotation')?.text ?? '';
    if (!parseRecoveryMark(note))
      throw new DrkitError('invalid-state', `${machineId} was not made by a drkit recovery: left alone`);
    return { vm, note, power: state?.props.get('runtime.powerState')?.text };
  };

  return {
    async recover(request: RecoveryRequest): Promise<RecoveredMachine> {
      checkSnapshotTag(request.tag, { maxLength: 64 });
      const { signal } = request;
      const notes: string[] = [];
      const d = request.description;
      if (request.disks.length === 0) throw new DrkitError('bad-input', `${request.name}: the point holds no disk`);
      recoveryStep(request, 'check');
      // A name already taken would put the disks in another VM's folder: refused, whoever owns it.
      const taken = await list('VirtualMachine', ['name'], signal);
      if (taken.some((v) => v.props.get('name')?.text === request.name))
        throw new DrkitError(
          'conflict',
          `a VM named ${request.name} already exists on the target: give the recovered machine another name`,
        );
      // One datacenter holds everything the VM uses: names (a datastore, "VM Network",
      // "Resources") repeat across datacenters, so each is looked up inside the chosen one.
      const placement = request.placement ?? {};
      const datacenters = await list('Datacenter', ['name', 'vmFolder', 'datastore'], signal);
      const dcNamed = (n: string | undefined) => datacenters.find((x) => x.props.get('name')?.text === n);
      let dc = placement.datacenter ? dcNamed(placement.datacenter) : undefined;
      if (placement.datacenter && !dc)
        throw new DrkitError('bad-input', `no datacenter named ${placement.datacenter} on the target`);
      if (!dc && placement.datastore) {
        const all = await list('Datastore', ['name'], signal);
        const holders = datacenters.filter((x) =>
          morefList(x.props.get('datastore')).some((r) =>
            all.some((ds) => ds.obj.value === r.value && ds.props.get('name')?.text === placement.datastore),
          ),
        );
        if (holders.length > 1)
          throw new DrkitError(
            'bad-input',
            `datastore ${placement.datastore} is in ${holders.length} datacenters (${holders.map((h) => h.props.get('name')?.text).join(', ')}): give the placement's datacenter`,
          );
        dc = holders[0];
      }
      if (!dc && datacenters.length > 0) {
        dc = datacenters[0]!;
        notes.push(`datacenter ${dc.props.get('name')?.text} (the first)`);
      }
      if (!dc) throw new DrkitError('bad-input', 'the target has no datacenter');
      const dcName = dc.props.get('name')!.text;
      const inDc = (type: string, paths: string[]) => list(type, paths, signal, dc.obj);

      // Every NIC needs a mapped network before anything is created.
      const networks = await inDc('Network', ['name']);
      const nics = mappedNetworks(request).map(({ network }) => {
        const net = networks.find((n) => n.props.get('name')?.text === network);
        if (!net)
          throw new DrkitError('bad-input', `${request.name}: no network named ${network} in datacenter ${dcName}`);
        return { name: network, ref: net.obj };
      });
      const backings = await Promise.all(nics.map((n) => nicBacking(n.name, n.ref, signal)));
      const datastores = await inDc('Datastore', ['name', 'summary.accessible']);
      const ds = placement.datastore
        ? datastores.find((x) => x.props.get('name')?.text === placement.datastore)
        : datastores.find((x) => x.props.get('summary.accessible')?.text !== 'false');
      if (!ds)
        throw new DrkitError(
          'bad-input',
          `no datastore ${placement.datastore ?? '(any accessible)'} in datacenter ${dcName}`,
        );
      const dsName = ds.props.get('name')!.text;
      const pools = await inDc('ResourcePool', ['name']);
      const pool = placement.pool ? pools.find((p) => p.props.get('name')?.text === placement.pool) : pools[0];
      if (!pool) throw new DrkitError('bad-input', `no resource pool ${placement.pool ?? ''} in datacenter ${dcName}`);
      const folder = morefOf(dc.props.get('vmFolder'))!;
      if (!placement.datastore) notes.push(`datastore ${dsName} (the first accessible)`);
      if (!placement.pool) notes.push(`resource pool ${pool.props.get('name')?.text ?? pool.obj.value} (the first)`);

      const cpus = d.cpuCount ?? 1;
      const memoryMB = d.memoryBytes ? Math.ceil(d.memoryBytes / 1048576) : 1024;
      if (d.cpuCount === undefined) notes.push('1 CPU: the point did not record a CPU count');
      if (d.memoryBytes === undefined) notes.push('1 GiB of memory: the point did not record memory');
      for (const disk of request.disks)
        if (!disk.read && !disk.path)
          throw new DrkitError('bad-input', `${disk.name}: neither a stream nor an image to upload`);
        else if (disk.sizeBytes % 512 !== 0)
          throw new DrkitError('bad-input', `${disk.name}: ${disk.sizeBytes} bytes is not whole sectors`);

      // The VM first, tagged and marked as building: whatever a crash leaves from here on is a
      // tagged VM whose folder holds every uploaded file, so a cleanup (Destroy_Task) takes all.
      const ethernet = backings
        .map(
          (backing, i) =>
            `<deviceChange><operation>add</operation><device xsi:type="VirtualVmxnet3"><key>${-200 - i}</key>${backing}` +
            '<connectable><startConnected>true</startConnected><allowGuestControl>true</allowGuestControl><connected>true</connected></connectable>' +
            '<addressType>generated</addressType></device></deviceChange>',
        )
        .join('');
      const spec =
        `<config><name>${xmlEscape(request.name)}</name><guestId>${GUEST_ID[d.os.family]}</guestId>` +
        `<annotation>${xmlEscape(recoveryMark(request.tag, request.pointId, 'building'))}</annotation>` +
        `<files><vmPathName>[${xmlEscape(dsName)}]</vmPathName></files>` +
        `<numCPUs>${cpus}</numCPUs><memoryMB>${memoryMB}</memoryMB>` +
        '<deviceChange><operation>add</operation><device xsi:type="VirtualLsiLogicController"><key>-100</key><busNumber>0</busNumber><sharedBus>noSharing</sharedBus></device></deviceChange>' +
        `${ethernet}</config>${morefXml('pool', pool.obj)}`;
      recoveryStep(request, 'create');
      const created = await ctx.withSession(() =>
        task(client.invoke('CreateVM_Task', folder, spec, { signal }), `creating ${request.name}`, signal),
      );
      const vm = created.result;
      if (!vm) throw new DrkitError('protocol', `CreateVM_Task for ${request.name} returned no VM`);
      const made = await ctx.withSession(() =>
        retrieveObject(
          client,
          collector(),
          vm,
          ['config.instanceUuid', 'config.files.vmPathName', 'config.hardware.device'],
          signal,
        ),
      );
      const machineId = made?.props.get('config.instanceUuid')?.text ?? vm.value;
      // The VM's own folder, as the platform named it: `[ds] dir/name.vmx`.
      const vmx = made?.props.get('config.files.vmPathName')?.text ?? `[${dsName}] ${request.name}/${request.name}.vmx`;
      const dir = parseDatastorePath(vmx).path.replace(/\/[^/]*$/, '');
      const controller = children(made?.props.get('config.hardware.device'), 'VirtualDevice')
        .find((x) => x.xsiType === 'VirtualLsiLogicController')
        ?.children.find((c) => c.name === 'key')?.text;
      if (!controller) throw new DrkitError('protocol', `${request.name}: its SCSI controller is not readable`);

      const files = request.disks.map((disk, i) => ({
        ...disk,
        vmdk: `${request.name}_${i}.vmdk`,
        flat: `${request.name}_${i}-flat.vmdk`,
      }));
      recoveryStep(request, 'upload');
      for (const f of files) {
        // 1 MiB reads: with fs's 64 KiB default a 256 MiB PUT took 1.6× as long here (TLS per chunk).
        const body = f.read ? Readable.from(f.read()) : createReadStream(f.path ?? '', { highWaterMark: 1 << 20 });
        await uploadToDatastore(ctx, { datacenter: dcName, datastore: dsName, path: `${dir}/${f.flat}` }, body, {
          sizeBytes: f.sizeBytes,
          ...(signal && { signal }),
          ...(f.recycle && { recycle: f.recycle }),
        });
        await uploadToDatastore(
          ctx,
          { datacenter: dcName, datastore: dsName, path: `${dir}/${f.vmdk}` },
          descriptor(f.flat, f.sizeBytes),
          signal ? { signal } : {},
        );
      }
      const disks = files
        .map((f, i) => {
          const unit = i < 7 ? i : i + 1; // unit 7 is the SCSI controller's own
          return (
            `<deviceChange><operation>add</operation><device xsi:type="VirtualDisk"><key>${-101 - i}</key>` +
            `<backing xsi:type="VirtualDiskFlatVer2BackingInfo"><fileName>[${xmlEscape(dsName)}] ${xmlEscape(`${dir}/${f.vmdk}`)}</fileName><diskMode>persistent</diskMode></backing>` +
            `<controllerKey>${controller}</controllerKey><unitNumber>${unit}</unitNumber><capacityInKB>${Math.ceil(f.sizeBytes / 1024)}</capacityInKB></device></deviceChange>`
          );
        })
        .join('');
      recoveryStep(request, 'attach');
      await reconfigure(vm, `<spec>${disks}</spec>`, `attaching the disks of ${request.name}`, signal);
      const powerOn = request.powerOn !== false;
      if (powerOn) {
        recoveryStep(request, 'power-on');
        await ctx.withSession(() =>
          task(client.invoke('PowerOnVM_Task', vm, '', { signal }), `powering on ${request.name}`, signal),
        );
      }
      await mark(vm, recoveryMark(request.tag, request.pointId, 'ready'), signal);
      return { machineId, name: request.name, poweredOn: powerOn, notes };
    },

    async commit(machineId, options = {}) {
      const { vm, note } = await ours(machineId, options.signal);
      await mark(vm, withRecoveryState(note, 'committed'), options.signal);
    },

    async listRecovered(tag, options = {}) {
      const vms = await list('VirtualMachine', ['name', 'config.annotation', 'config.instanceUuid'], options.signal);
      return vms.flatMap((v) => {
        const note = parseRecoveryMark(v.props.get('config.annotation')?.text);
        if (note?.tag !== tag) return [];
        return [
          {
            machineId: v.props.get('config.instanceUuid')?.text ?? v.obj.value,
            name: v.props.get('name')?.text ?? v.obj.value,
            ...(note.pointId && { pointId: note.pointId }),
            state: note.state,
          },
        ];
      });
    },

    async shutdown(machineId, options = {}) {
      const vm = await ctx.withSession(() => findVm(client, ctx.content(), machineId, options.signal));
      const state = await ctx.withSession(() => vmState(client, ctx.content(), vm, options.signal));
      if (state.powerState === 'poweredOff') return 'already-off';
      if (state.toolsRunning === 'guestToolsRunning') {
        await ctx.withSession(() => client.invoke('ShutdownGuest', vm, '', { signal: options.signal }));
        const end = Date.now() + (options.timeoutMs ?? 300_000);
        while (Date.now() < end) {
          if (
            (await ctx.withSession(() => vmState(client, ctx.content(), vm, options.signal))).powerState ===
            'poweredOff'
          )
            return 'guest';
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
      // No tools, or the guest did not stop in time: powered off, as Site Recovery does.
      await ctx.withSession(() =>
        task(client.invoke('PowerOffVM_Task', vm, '', options), `powering off ${state.name}`, options.signal),
      );
      return 'forced';
    },

    writeBack: (request) => vsphereWriteBack(ctx, request),

    async remove(machineId, options = {}) {
      const { vm, power } = await ours(machineId, options.signal);
      if (power === 'poweredOn')
        await ctx.withSession(() =>
          task(client.invoke('PowerOffVM_Task', vm, '', options), `powering off ${machineId}`, options.signal),
        );
      await ctx.withSession(() =>
        task(client.invoke('Destroy_Task', vm, '', options), `removing ${machineId}`, options.signal),
      );
    },
  };
}

/** A VMFS descriptor for a flat extent: what CreateVM_Task's disk backing names. */
function descriptor(flat: string, sizeBytes: number): Buffer {
  return Buffer.from(
    [
      '# Disk DescriptorFile',
      'version=1',
      'encoding="UTF-8"',
      'CID=fffffffe',
      'parentCID=ffffffff',
      'createType="vmfs"',
      '',
      '# Extent description',
      `RW ${sizeBytes / 512} VMFS "${flat}"`,
      '',
      '# The Disk Data Base',
      '#DDB',
      '',
      'ddb.adapterType = "lsilogic"',
      'ddb.virtualHWVersion = "13"',
      '',
    ].join('\n'),
  );
}
