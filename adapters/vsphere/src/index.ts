export { vsphereAdapter } from './vsphere-definition.js';
export * from './vsphere-adapter.js';
export * from './vsphere-endpoint.js';
export type { Credentials } from './vsphere-session.js';
export { Vim25Client, type MoRef } from './vim25-client.js';
export { SoapStreamReader, type XmlNode } from './vim25-xml.js';
export { openVSphereDisk, parseDatastorePath, type VSphereDiskSourceOptions } from './vsphere-disk-source.js';
export { changedAreas, changeEpoch, type ChangedAreasQuery } from './vsphere-cbt.js';
