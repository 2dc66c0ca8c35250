// An adapter defined outside the drkit workspace, as a third party would ship one: a
// definition made with defineAdapter, registered with the CLI by `--adapter <this file>`.
// Its machines are folders of raw images; it borrows the reference adapter's engine for
// them (what is tested here is the registration, not a new platform).
import { defineAdapter } from '@drkit/spec';
import { createReferenceAdapter } from '@drkit/core';

export const tinyAdapter = defineAdapter({
  specificationVersion: 'v1',
  kind: 'tiny',
  schemes: ['tiny'],
  connection: 'local',
  usage: 'tiny:///folder',
  parseEndpoint(endpoint) {
    const root = new URL(endpoint).pathname;
    return { display: `tiny://${root}`, details: { root } };
  },
  create(endpoint) {
    const inner = createReferenceAdapter({ root: endpoint.details.root });
    return Object.create(inner, { kind: { value: 'tiny', enumerable: true } });
  },
});
