/**
 * `@drkit/core/definition`: the reference adapter's definition alone, light (its
 * implementation loads on create) — for a registry that lists every definition.
 */
export { referenceAdapter } from './reference/reference-definition.js';
