/**
 * `@drkit/core/define`: what an adapter definition needs, and nothing heavier — a registry
 * imports every definition to list its schemes, so `drkit --help` loads no adapter.
 */
export * from './adapter-definition.js';
export { DrkitError, UnsupportedError, type DrkitErrorCode } from './errors.js';
export type { Adapter } from './adapter.js';
export { referenceAdapter } from './reference/reference-definition.js';
export { endpointPort } from './endpoint-port.js';
