import { buildVcsim } from './vcsim.js';

/** Builds the simulator once before any test file starts one. */
export default async function setup(): Promise<void> {
  await buildVcsim();
}
