import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Consistency } from '@drkit/core';

/** What a run did, as the journal keeps it. */
export interface RunRecord {
  type: 'run-started';
  at: number;
  runId: string;
  group: string;
  consistency: Consistency;
  /** The tag every snapshot of this run carries: how its leftovers are found after a crash. */
  tag: string;
  resync: boolean;
  /** Who runs it: this service (`pid@host`) or a queue worker. */
  by: string;
}

export interface RunFinished {
  type: 'run-finished';
  at: number;
  runId: string;
  group: string;
  durationMs: number;
  ok: boolean;
  pointId?: string;
  /** The point's own time (its snapshots), epoch ms: what the RPO is measured from. */
  pointAt?: number;
  /** What the point achieved, for the group (the manifest has it per machine). */
  achieved?: Consistency;
  requested: Consistency;
  bytesRead?: number;
  bytesWritten?: number;
  pruned?: number;
  /** The store resumed an interrupted run. */
  resumed?: boolean;
  warnings?: string[];
  error?: { code: string; message: string };
  /** The failure's consequence: a retry at this time, or an operator. */
  retryAt?: number;
  attention?: string;
  resyncNeeded?: boolean;
  /** The queue worker that ran it (scale-out): who, when, which attempt. */
  worker?: { by: string; startedAt: number; endedAt: number; attempt: number };
  /** The service stopped it at its deadline: not a failure, the store resumes it. */
  stoppedByService?: boolean;
}

export type JournalRecord =
  | { type: 'service-started'; at: number; by: string; config: string }
  | { type: 'service-stopped'; at: number; by: string; interrupted: string[] }
  | RunRecord
  | RunFinished
  | {
      type: 'cleanup';
      at: number;
      group: string;
      tag: string;
      removed: number;
      failed: Array<{ machineId: string; snapshotId: string; reason: string }>;
      /** A run's snapshots could not even be listed (the endpoint was down): cleanup is tried again later. */
      error?: string;
    }
  | { type: 'attention'; at: number; group: string; reason: string; digest: string }
  | { type: 'resumed'; at: number; group: string; why: 'operator' | 'config-changed' }
  | { type: 'inventory'; at: number; group: string; message: string }
  | { type: 'rpo'; at: number; group: string; breached: boolean; ageMs: number };

/**
 * The service's history: one JSON object per line, appended and flushed to disk before the
 * service acts on it. Chosen over SQLite because it needs no native module (Node 20 has no
 * built-in SQLite), every line is written with one append (whole or, after a power cut, a
 * torn last line that the reader drops), and `drkit status` / `drkit resume` can read and
 * append while the service runs without a lock server.
 */
export class RunJournal {
  readonly file: string;
  #handle: FileHandle | undefined;
  #chain: Promise<void> = Promise.resolve();

  private constructor(stateDir: string) {
    this.file = join(stateDir, 'journal.jsonl');
  }

  static async open(stateDir: string): Promise<RunJournal> {
    await mkdir(stateDir, { recursive: true });
    const journal = new RunJournal(stateDir);
    journal.#handle = await open(journal.file, 'a');
    return journal;
  }

  /** Appends one record durably; appends from one process keep their order. */
  append(record: JournalRecord): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    const next = this.#chain.then(async () => {
      const handle = this.#handle;
      if (!handle) throw new Error('journal closed');
      await handle.write(line);
      await handle.datasync();
    });
    this.#chain = next.catch(() => {});
    return next;
  }

  async close(): Promise<void> {
    await this.#chain;
    await this.#handle?.close();
    this.#handle = undefined;
  }
}

/** Every whole record of a state folder's journal (none when there is no journal yet). */
export async function readJournal(stateDir: string): Promise<JournalRecord[]> {
  const text = await readFile(join(stateDir, 'journal.jsonl'), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const records: JournalRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      records.push(JSON.parse(line) as JournalRecord);
    } catch {
      // A torn last line from a crash mid-append: the record was never acted on.
    }
  }
  return records;
}

/** Appends one record from outside the service (`drkit resume`), as the service does. */
export async function appendToJournal(stateDir: string, record: JournalRecord): Promise<void> {
  const journal = await RunJournal.open(stateDir);
  try {
    await journal.append(record);
  } finally {
    await journal.close();
  }
}
