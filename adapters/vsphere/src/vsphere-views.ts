import { DrkitError } from '@drkit/core';
import { moref, type MoRef, type Vim25Client } from './vim25-client.js';
import type { ServiceContent } from './vsphere-service-content.js';

/** A ContainerView over every object of `types` under the root folder. */
export async function createContainerView(
  client: Vim25Client,
  content: ServiceContent,
  types: readonly string[],
  signal?: AbortSignal,
  /** Where the view starts (a datacenter): the whole inventory by default. */
  root: MoRef = content.rootFolder,
): Promise<MoRef> {
  const params =
    `<container type="${root.type}">${root.value}</container>` +
    types.map((t) => `<type>${t}</type>`).join('') +
    '<recursive>true</recursive>';
  const response = await client.invoke('CreateContainerView', content.viewManager, params, { signal });
  const rv = response.children[0];
  if (!rv?.type) throw new DrkitError('protocol', 'CreateContainerView returned no view');
  return moref(rv.type, rv.text);
}

export async function destroyView(client: Vim25Client, view: MoRef): Promise<void> {
  try {
    await client.invoke('DestroyView', view);
  } catch {
    // A view dies with its session; failing to destroy one must not mask the caller's outcome.
  }
}
