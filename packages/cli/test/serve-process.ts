import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const BIN = new URL('../bin/drkit.js', import.meta.url).pathname;
const children: ChildProcess[] = [];

export interface ServeProcess {
  child: ChildProcess;
  /** Its stderr, one parsed JSON log line each. */
  log: Array<Record<string, unknown>>;
  exited: Promise<number | null>;
}

/** `drkit serve <config>` as a user starts it (the built binary). */
export function serveProcess(config: string, env: Record<string, string> = {}): ServeProcess {
  const child = spawn(process.execPath, [BIN, 'serve', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  children.push(child);
  const log: Array<Record<string, unknown>> = [];
  let rest = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop()!;
    for (const line of lines) log.push(JSON.parse(line) as Record<string, unknown>);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, log, exited };
}

/** Kills what a test left running. */
export function killServeProcesses(): void {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

export type JournalLine = {
  type: string;
  ok?: boolean;
  group?: string;
  tag?: string;
  removed?: number;
  message?: string;
};

export async function journalLines(stateDir: string): Promise<JournalLine[]> {
  return (await readFile(join(stateDir, 'journal.jsonl'), 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JournalLine);
}

/** Polls `check`; a timeout says what was awaited and, where given, what the service did meanwhile. */
export async function until(
  check: () => Promise<boolean> | boolean,
  what: string,
  ms = 45_000,
  explain?: () => Promise<string> | string,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${explain ? `\n${await explain()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
