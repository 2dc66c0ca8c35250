import { startVcsim } from '/work/main/test/harness/vcsim.ts';
import { writeFileSync } from 'node:fs';
const sim = await startVcsim({ pageCap: Number(process.env.PAGE ?? 0) || undefined, vmsPerPool: Number(process.env.VMS ?? 2) });
writeFileSync('/tmp/sim.json', JSON.stringify(sim));
await new Promise(r => setTimeout(r, Number(process.env.HOLD ?? 120) * 1000));
await sim.stop();
