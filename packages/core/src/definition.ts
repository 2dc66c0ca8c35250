/**
 * `@drkit/core/definition`: the reference adapter's and the `dir:` target's definitions
 * alone, light (their implementations load on use) — for a registry that lists every definition.
 */
export { referenceAdapter } from './reference/reference-definition.js';
export { dirTarget } from './store/dir-target.js';
export { defineTarget, isTargetDefinition, targetScheme } from './store/target-definition.js';
export type { TargetDefinition, TargetOpenContext, TargetOption } from './store/target-definition.js';
