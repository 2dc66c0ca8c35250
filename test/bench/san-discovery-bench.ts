/**
 * Array discovery (issue 8) against the way scripts usually walk an ONTAP REST API, one run,
 * same mock cluster:  pnpm bench:san [-- --groups 500 --latency 20 --page 100 --repeat 5]
 * The mock (test/harness/fake-ontap.ts; no ONTAP simulator exists) holds `groups`
 * consistency groups of two FlexVols with a LUN each, answers at most `page` records per
 * call, and waits `latency` ms before each answer — a management LAN and a busy array.
 * drkit: connect + a full inventory. Peer: test/bench/san-discovery-peer.py (stdlib Python,
 * one keep-alive connection, the same collections and fields, one GET after another,
 * following _links.next). Both produce the group → LUN mapping. Order alternates per
 * round; medians reported.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { collectInventory } from '@drkit/core';
import { createHttpTransport } from '@drkit/http';
import { createSanAdapter } from '@drkit/san';
import { startFakeOntap } from '../harness/fake-ontap.js';
import { median, numberArg } from './bench-args.js';

const GROUPS = numberArg('groups', 500);
const LATENCY = numberArg('latency', 20);
const PAGE = numberArg('page', 100);
const REPEAT = numberArg('repeat', 5);
const PEER = new URL('./san-discovery-peer.py', import.meta.url).pathname;

const ontap = await startFakeOntap({ extraGroups: GROUPS, latencyMs: LATENCY, pageSize: PAGE });
try {
  const drkit = async () => {
    const adapter = createSanAdapter({
      family: 'ontap',
      transport: createHttpTransport({ url: ontap.url }),
      endpoint: 'ontap://bench@cluster1',
      username: ontap.username,
      secret: async () => ontap.password,
    });
    const started = performance.now();
    await adapter.connect();
    const inv = await collectInventory(adapter.site, adapter.discover());
    const ms = performance.now() - started;
    await adapter.close();
    return { ms, groups: inv.machines.length };
  };
  const peer = async () => {
    const started = performance.now();
    const { stdout } = await promisify(execFile)('python3', [PEER, ontap.url], {
      env: { ...process.env, PEER_USER: ontap.username, PEER_PASSWORD: ontap.password },
    });
    return { ms: performance.now() - started, groups: Number(stdout.trim()) };
  };
  const times = { drkit: [] as number[], peer: [] as number[] };
  for (let round = 0; round < REPEAT; round++) {
    for (const who of round % 2 === 0 ? (['drkit', 'peer'] as const) : (['peer', 'drkit'] as const)) {
      const r = await (who === 'drkit' ? drkit() : peer());
      if (r.groups !== GROUPS + 2) throw new Error(`${who} found ${r.groups} groups, expected ${GROUPS + 2}`);
      times[who].push(r.ms);
    }
  }
  const d = median(times.drkit);
  const p = median(times.peer);
  console.log(
    `ONTAP discovery, ${GROUPS + 2} consistency groups / ${2 * GROUPS + 4} LUNs, ${PAGE} records per page, ${LATENCY} ms per answer, ${REPEAT} rounds (medians)`,
  );
  console.log(`  drkit  ${d.toFixed(0)} ms`);
  console.log(`  peer   ${p.toFixed(0)} ms   (sequential stdlib Python, keep-alive)`);
  console.log(`  ratio  ${(d / p).toFixed(2)}x  (drkit / peer; lower is better)`);
} finally {
  await ontap.stop();
}
