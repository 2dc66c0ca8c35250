import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { createInterface } from 'node:readline';
import { DrkitError } from '@drkit/core';
import type { PlanAction } from './recovery-plan.js';

export interface ActionContext {
  plan: string;
  group: string;
  pointId: string;
  test: boolean;
  machines: Array<{ name: string; machineId: string; addresses: string[] }>;
  /** `--yes`: manual pauses are confirmed in advance (unattended runs). */
  yes: boolean;
  err: (line: string) => void;
  signal: AbortSignal;
}

/**
 * A plan's steps between groups. A command runs through the local shell (it is the plan
 * author's own text, never a value from elsewhere) with the plan's context in DRKIT_* variables;
 * a pause waits for Enter; a port wait polls the recovered machines' known addresses.
 */
export async function runAction(action: PlanAction, ctx: ActionContext): Promise<string | undefined> {
  if ('command' in action) {
    ctx.err(`drkit: ${ctx.group}: running ${action.command}`);
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('sh', ['-c', action.command], {
        stdio: ['ignore', 'inherit', 'inherit'],
        signal: ctx.signal,
        env: {
          ...process.env,
          DRKIT_PLAN: ctx.plan,
          DRKIT_GROUP: ctx.group,
          DRKIT_POINT: ctx.pointId,
          DRKIT_TEST: ctx.test ? '1' : '0',
          DRKIT_MACHINES: JSON.stringify(ctx.machines),
        },
      });
      child.once('error', reject);
      child.once('exit', resolve);
    });
    if (code !== 0) throw new DrkitError('platform', `${ctx.group}: the command ${action.command} exited ${code}`);
    return undefined;
  }
  if ('pause' in action) {
    if (ctx.yes) return `pause confirmed by --yes: ${action.pause}`;
    if (!process.stdin.isTTY)
      throw new DrkitError('bad-input', `${ctx.group}: a manual step (${action.pause}) needs a terminal, or --yes`);
    ctx.err(`drkit: ${ctx.group}: ${action.pause} — press Enter to go on`);
    const rl = createInterface({ input: process.stdin });
    await new Promise((r) => rl.once('line', r));
    rl.close();
    return undefined;
  }
  const unknown = ctx.machines.filter((m) => m.addresses.length === 0).map((m) => m.name);
  const end = Date.now() + action.timeoutSeconds * 1000;
  for (const m of ctx.machines.filter((x) => x.addresses.length > 0)) {
    while (!(await reachable(m.addresses[0]!, action.waitForPort))) {
      if (Date.now() > end)
        throw new DrkitError(
          'timeout',
          `${m.name}: port ${action.waitForPort} on ${m.addresses[0]} did not open in ${action.timeoutSeconds} s`,
        );
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  return unknown.length > 0
    ? `port ${action.waitForPort}: no address known for ${unknown.join(', ')}; not waited for`
    : undefined;
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port, timeout: 2000 });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(false));
  });
}
