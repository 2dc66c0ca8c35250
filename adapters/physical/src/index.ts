export { physicalAdapter } from './physical-definition.js';
export { createPhysicalAdapter, type PhysicalAdapterOptions } from './physical-adapter.js';
export { parsePhysicalEndpoint, type PhysicalEndpoint } from './physical-endpoint.js';
export { linuxDisks, type LinuxDisk, type DiskMechanism } from './linux-disks.js';
export { parseLsblk, parseLosetup, parseIpAddr, parseOsRelease } from './linux-parsers.js';
