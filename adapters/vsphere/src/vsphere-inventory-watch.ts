import { throwIfAborted, type InventoryChange, type Machine, type OperationOptions } from '@drkit/core';
import { morefXml, type Vim25Client } from './vim25-client.js';
import { mapMachine } from './vsphere-inventory-mapper.js';
import { morefOf, type ServiceContent } from './vsphere-service-content.js';
import { child, children, text, type XmlNode } from './vim25-xml.js';
import { createContainerView, destroyView } from './vsphere-views.js';

const PATHS = ['name', 'config.instanceUuid', 'runtime.powerState', 'config.hardware.device'];
const NO_MAPS = new Map<string, string>();

/**
 * Inventory changes as vCenter pushes them: one PropertyCollector filter over a ContainerView
 * of every VM (name, power state, devices), then WaitForUpdatesEx with the last version, each
 * call held open by the server up to `maxWaitSeconds`. The first answer is the baseline (every
 * VM, as `enter`) and is not reported; after it, each update is compared with what was known.
 */
export async function* watchInventory(
  client: Vim25Client,
  content: ServiceContent,
  options: OperationOptions & { maxWaitSeconds?: number } = {},
): AsyncGenerator<InventoryChange> {
  const collector = content.propertyCollector;
  const view = await createContainerView(client, content, ['VirtualMachine'], options.signal);
  let filter: XmlNode | undefined;
  try {
    const spec =
      `<spec><propSet><type>VirtualMachine</type><all>false</all>${PATHS.map((p) => `<pathSet>${p}</pathSet>`).join('')}</propSet>` +
      `<objectSet>${morefXml('obj', view)}<skip>true</skip>` +
      '<selectSet xsi:type="TraversalSpec"><name>traverseView</name><type>ContainerView</type><path>view</path><skip>false</skip></selectSet>' +
      '</objectSet></spec><partialUpdates>false</partialUpdates>';
    filter = (await client.invoke('CreateFilter', collector, spec, { signal: options.signal })).children[0];
    const known = new Map<string, { props: Map<string, XmlNode>; machine: Machine }>();
    let version = '';
    let baseline = true;
    for (;;) {
      throwIfAborted(options.signal);
      const response = await client.invoke(
        'WaitForUpdatesEx',
        collector,
        `<version>${version}</version><options><maxWaitSeconds>${options.maxWaitSeconds ?? 20}</maxWaitSeconds></options>`,
        { signal: options.signal },
      );
      const set = child(response, 'returnval');
      if (!set) continue; // the wait ran out with nothing new
      version = text(set, 'version') ?? version;
      const at = new Date().toISOString();
      // One answer can hold several updates of one VM (a clone appears, then gets its disks):
      // what is reported is the net change across the answer, not each step.
      const before = new Map<string, Machine | undefined>();
      for (const fs of children(set, 'filterSet'))
        for (const update of children(fs, 'objectSet')) {
          const obj = morefOf(child(update, 'obj'));
          if (!obj) continue;
          const previous = known.get(obj.value);
          if (!before.has(obj.value)) before.set(obj.value, previous?.machine);
          if (text(update, 'kind') === 'leave') {
            known.delete(obj.value);
            continue;
          }
          const props = new Map(previous?.props);
          for (const c of children(update, 'changeSet')) {
            const name = text(c, 'name');
            if (!name) continue;
            const val = child(c, 'val');
            if (text(c, 'op') === 'remove' || text(c, 'op') === 'indirectRemove' || !val) props.delete(name);
            else props.set(name, val);
          }
          known.set(obj.value, { props, machine: mapMachine({ obj, props, missing: [] }, NO_MAPS, NO_MAPS) });
        }
      if (!baseline)
        for (const [ref, was] of before) {
          const now = known.get(ref)?.machine;
          if (was && !now) yield { at, change: 'machine-removed', machineId: was.id, name: was.name };
          else if (!was && now)
            yield { at, change: 'machine-added', machineId: now.id, name: now.name, powerState: now.powerState };
          else if (was && now) yield* diff(at, was, now);
        }
      if (baseline) options.onProgress?.({ kind: 'phase', phase: 'watching' });
      baseline = false;
    }
  } finally {
    if (filter?.type)
      await client.invoke('DestroyPropertyFilter', { type: filter.type, value: filter.text }).catch(() => {});
    await destroyView(client, view);
  }
}

function* diff(at: string, before: Machine, after: Machine): Generator<InventoryChange> {
  const ids = { machineId: after.id, name: after.name };
  if (before.name !== after.name) yield { at, change: 'machine-renamed', ...ids, from: before.name };
  if (before.powerState !== after.powerState)
    yield { at, change: 'power', ...ids, from: before.powerState, to: after.powerState };
  const disk = (d: Machine['disks'][number]) => ({ id: d.id, name: d.name, capacityBytes: d.capacityBytes });
  for (const d of after.disks)
    if (!before.disks.some((b) => b.id === d.id)) yield { at, change: 'disk-added', ...ids, disk: disk(d) };
  for (const d of before.disks)
    if (!after.disks.some((a) => a.id === d.id)) yield { at, change: 'disk-removed', ...ids, disk: disk(d) };
}
