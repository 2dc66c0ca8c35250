import { DrkitError } from '@drkit/core';
import type { MoRef, Vim25Client } from './vim25-client.js';
import { morefList, retrieveFromView } from './vsphere-property-collector.js';
import type { ServiceContent } from './vsphere-service-content.js';
import { createContainerView, destroyView } from './vsphere-views.js';

/**
 * Which datacenter holds a datastore — the `dcPath` of datastore HTTP. Datacenters are few
 * and stable: one read per adapter session. (A datacenter nested in folders needs its
 * folder path; this gives the name, as a root-level datacenter wants.)
 */
export class DatacenterIndex {
  #byDatastore: Map<string, string> | undefined;

  constructor(
    private readonly client: Vim25Client,
    private readonly content: () => ServiceContent,
  ) {}

  async of(datastore: MoRef, signal?: AbortSignal): Promise<string> {
    this.#byDatastore ??= await this.#read(signal);
    const name = this.#byDatastore.get(datastore.value);
    if (!name) throw new DrkitError('not-found', `datastore ${datastore.value} is in no datacenter drkit can see`);
    return name;
  }

  async #read(signal?: AbortSignal): Promise<Map<string, string>> {
    const view = await createContainerView(this.client, this.content(), ['Datacenter'], signal);
    const map = new Map<string, string>();
    try {
      const pages = retrieveFromView(
        this.client,
        this.content().propertyCollector,
        view,
        [{ type: 'Datacenter', paths: ['name', 'datastore'] }],
        {
          maxObjects: 100,
          ...(signal && { signal }),
          map: (o) => ({
            name: o.props.get('name')?.text ?? o.obj.value,
            datastores: morefList(o.props.get('datastore')),
          }),
        },
      );
      for await (const page of pages) for (const dc of page) for (const ds of dc.datastores) map.set(ds.value, dc.name);
    } finally {
      await destroyView(this.client, view);
    }
    return map;
  }
}
