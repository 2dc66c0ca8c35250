import { moref, type MoRef, type Vim25Client } from './vim25-client.js';
import { child, text, type XmlNode } from './vim25-xml.js';

export interface ServiceContent {
  rootFolder: MoRef;
  propertyCollector: MoRef;
  viewManager: MoRef;
  sessionManager: MoRef;
  searchIndex: MoRef;
  about: {
    name?: string;
    fullName?: string;
    version?: string;
    build?: string;
    apiType?: string;
    apiVersion?: string;
    instanceUuid?: string;
  };
}

const SERVICE_INSTANCE = moref('ServiceInstance', 'ServiceInstance');

export async function retrieveServiceContent(client: Vim25Client, signal?: AbortSignal): Promise<ServiceContent> {
  const response = await client.invoke('RetrieveServiceContent', SERVICE_INSTANCE, '', { signal });
  const rv = child(response, 'returnval');
  const ref = (name: string): MoRef => {
    const node = child(rv, name);
    if (!node?.type) throw new Error(`ServiceContent without ${name}`);
    return moref(node.type, node.text);
  };
  const about = child(rv, 'about');
  const content: ServiceContent = {
    rootFolder: ref('rootFolder'),
    propertyCollector: ref('propertyCollector'),
    viewManager: ref('viewManager'),
    sessionManager: ref('sessionManager'),
    searchIndex: ref('searchIndex'),
    about: {
      name: text(about, 'name'),
      fullName: text(about, 'fullName'),
      version: text(about, 'version'),
      build: text(about, 'build'),
      apiType: text(about, 'apiType'),
      apiVersion: text(about, 'apiVersion'),
      instanceUuid: text(about, 'instanceUuid'),
    },
  };
  if (content.about.apiVersion) client.setApiVersion(content.about.apiVersion);
  return content;
}

export function morefOf(node: XmlNode | undefined): MoRef | undefined {
  return node?.type ? moref(node.type, node.text) : undefined;
}
