/**
 * Per-call latency of drkit's PowerShell, one process per call (the old way, still
 * `powershellOverSsh`) against one long-lived session per connection (what the Hyper-V,
 * VMM and Windows adapters use), on the stub Hyper-V host in real pwsh: the same fixed
 * script (the adapter's own probe) with the same input, `--calls` times each, alternating
 * sides per round. Reports medians, and what starting a session costs (once per connection).
 *
 *   pnpm bench:powershell [--calls 50] [--rounds 3]
 */
import { performance } from 'node:perf_hooks';
import { powershellOverSsh, powershellSessionOver, type PowerShellRunner } from '@drkit/powershell';
import { HYPERV_PROBE } from '../../adapters/hyperv/src/hyperv-scripts.js';
import { PWSH, NO_PWSH_REASON, pwshStubHost } from '../harness/pwsh-stub-host.js';
import { median, numberArg } from './bench-args.js';

if (!PWSH) throw new Error(NO_PWSH_REASON);
const calls = numberArg('calls', 50);
const rounds = numberArg('rounds', 3);
const host = pwshStubHost('hyperv-host');
const ssh = await host.runner();

const timeCalls = async (runner: PowerShellRunner): Promise<number[]> => {
  const out: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await runner.invoke(HYPERV_PROBE);
    out.push(performance.now() - t);
  }
  return out;
};

const perCall = { process: [] as number[], session: [] as number[] };
const starts: number[] = [];
for (let r = 0; r < rounds; r++) {
  perCall.process.push(...(await timeCalls(powershellOverSsh(ssh))));
  const session = powershellSessionOver(ssh);
  const t = performance.now();
  await session.invoke(HYPERV_PROBE); // the start, paid once per connection
  starts.push(performance.now() - t);
  perCall.session.push(...(await timeCalls(session)));
  await session.close();
}
host.dispose();
const p = median(perCall.process);
const s = median(perCall.session);
console.log(
  JSON.stringify(
    {
      calls: calls * rounds,
      perCallMs: { processPerCall: +p.toFixed(1), session: +s.toFixed(1), ratio: +(s / p).toFixed(3) },
      sessionStartMs: +median(starts).toFixed(1),
    },
    null,
    2,
  ),
);
