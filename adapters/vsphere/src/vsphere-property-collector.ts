import { throwIfAborted } from '@drkit/core';
import { morefXml, type MoRef, type Vim25Client } from './vim25-client.js';
import { morefOf } from './vsphere-service-content.js';
import { child, children, text, xmlEscape, type XmlNode } from './vim25-xml.js';

export interface ObjectContent {
  obj: MoRef;
  props: Map<string, XmlNode>;
  /** Properties the server could not return, with the fault that said why. */
  missing: Array<{ path: string; fault: string }>;
}

export interface PropertySpec {
  type: string;
  paths: readonly string[];
}

export interface RetrieveOptions<T> {
  /** Objects per page we ask for. Real vCenter may return fewer; the simulator ignores it. */
  maxObjects: number;
  signal?: AbortSignal;
  /** Called for each object as it is parsed; keeps pages small in memory. */
  map: (object: ObjectContent) => T;
}

/**
 * RetrievePropertiesEx over a ContainerView, then ContinueRetrievePropertiesEx while the
 * server returns a token. Yields one page at a time. A token is single-use and bound to
 * the session, so a re-login must restart from the first page (the caller does).
 */
export async function* retrieveFromView<T>(
  client: Vim25Client,
  collector: MoRef,
  view: MoRef,
  specs: readonly PropertySpec[],
  options: RetrieveOptions<T>,
): AsyncGenerator<T[]> {
  const propSets = specs
    .map(
      (s) =>
        `<propSet><type>${s.type}</type><all>false</all>${s.paths.map((p) => `<pathSet>${xmlEscape(p)}</pathSet>`).join('')}</propSet>`,
    )
    .join('');
  const objectSet =
    `<objectSet>${morefXml('obj', view)}<skip>true</skip>` +
    '<selectSet xsi:type="TraversalSpec"><name>traverseView</name><type>ContainerView</type><path>view</path><skip>false</skip></selectSet>' +
    '</objectSet>';
  const params = `<specSet>${propSets}${objectSet}</specSet><options><maxObjects>${options.maxObjects}</maxObjects></options>`;

  let page: T[] = [];
  const stream = {
    names: new Set(['objects']),
    onElement: (node: XmlNode) => page.push(options.map(parseObjectContent(node))),
  };
  let response = await client.invoke('RetrievePropertiesEx', collector, params, { signal: options.signal, stream });
  let token = text(response, 'returnval', 'token');
  for (;;) {
    const done = page;
    page = [];
    yield done;
    if (!token) return;
    throwIfAborted(options.signal);
    response = await client.invoke('ContinueRetrievePropertiesEx', collector, `<token>${xmlEscape(token)}</token>`, {
      signal: options.signal,
      stream,
    });
    token = text(response, 'returnval', 'token');
  }
}

/** Reads whole objects (no view), e.g. the SessionManager's currentSession. */
export async function retrieveObject(
  client: Vim25Client,
  collector: MoRef,
  obj: MoRef,
  paths: readonly string[],
  signal?: AbortSignal,
): Promise<ObjectContent | undefined> {
  return (await retrieveObjects(client, collector, [obj], paths, signal))[0];
}

/** Reads the same properties of several objects of one type in one call (one objectSet each). */
export async function retrieveObjects(
  client: Vim25Client,
  collector: MoRef,
  objs: readonly MoRef[],
  paths: readonly string[],
  signal?: AbortSignal,
): Promise<ObjectContent[]> {
  if (objs.length === 0) return [];
  const params =
    `<specSet><propSet><type>${objs[0]!.type}</type><all>false</all>${paths.map((p) => `<pathSet>${xmlEscape(p)}</pathSet>`).join('')}</propSet>` +
    objs.map((o) => `<objectSet>${morefXml('obj', o)}<skip>false</skip></objectSet>`).join('') +
    `</specSet><options/>`;
  const response = await client.invoke('RetrievePropertiesEx', collector, params, { signal });
  return children(child(response, 'returnval'), 'objects').map(parseObjectContent);
}

export function parseObjectContent(node: XmlNode): ObjectContent {
  const obj = morefOf(child(node, 'obj')) ?? { type: 'Unknown', value: '' };
  const props = new Map<string, XmlNode>();
  const missing: ObjectContent['missing'] = [];
  for (const c of node.children) {
    if (c.name === 'propSet') {
      const name = text(c, 'name');
      const val = child(c, 'val');
      if (name !== undefined && val) props.set(name, val);
    } else if (c.name === 'missingSet') {
      const fault = child(child(c, 'fault'), 'fault');
      missing.push({ path: text(c, 'path') ?? '', fault: fault?.xsiType ?? fault?.name ?? 'Unknown' });
    }
  }
  return { obj, props, missing };
}

/** Values of an ArrayOfManagedObjectReference (or a single reference). */
export function morefList(val: XmlNode | undefined): MoRef[] {
  if (!val) return [];
  if (val.type) return [{ type: val.type, value: val.text }];
  return children(val, 'ManagedObjectReference').flatMap((n) => (n.type ? [{ type: n.type, value: n.text }] : []));
}
