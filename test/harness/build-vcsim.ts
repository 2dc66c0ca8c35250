// Builds the vCenter simulator launcher once (cached by source hash): `pnpm build:vcsim`.
import { buildVcsim } from './vcsim.js';

console.log(await buildVcsim());
