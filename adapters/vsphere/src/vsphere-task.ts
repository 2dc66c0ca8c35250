import { DrkitError, abortError, delay } from '@drkit/core';
import { faultToError } from './vim25-fault.js';
import type { MoRef, Vim25Client } from './vim25-client.js';
import { retrieveObject, retrieveObjects, type ObjectContent } from './vsphere-property-collector.js';
import { morefOf } from './vsphere-service-content.js';
import { child, text, type XmlNode } from './vim25-xml.js';

export interface TaskOutcome {
  /** info.result, when the task returns something (CreateSnapshot_Task: the snapshot's moref). */
  result?: MoRef;
}

const PATHS = ['info.state', 'info.result', 'info.error'] as const;

/**
 * Follows a vSphere task to its end, bounded by a deadline. A failed task becomes the typed
 * error of its fault (ApplicationQuiesceFault, SnapshotLocked, InvalidPowerState…). A task
 * still running at the deadline is a `timeout` — it may yet finish: callers reconcile by
 * tag, never retry blind. Every task followed on one client at the same time is read in one
 * RetrievePropertiesEx per tick (see TaskWatcher): a group of 50 snapshots is one call per
 * tick, not 50.
 */
export function waitForTask(
  client: Vim25Client,
  collector: MoRef,
  task: MoRef,
  what: string,
  options: { deadlineMs?: number; signal?: AbortSignal } = {},
): Promise<TaskOutcome> {
  let watcher = watchers.get(client);
  if (!watcher) {
    watcher = new TaskWatcher(client);
    watchers.set(client, watcher);
  }
  return watcher.wait(collector, task, what, options);
}

const watchers = new WeakMap<Vim25Client, TaskWatcher>();

interface Waiter {
  task: MoRef;
  what: string;
  deadline: number;
  since: number;
  resolve: (outcome: TaskOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * The tasks in flight on one client, read together: one call per tick for all of them,
 * ticking fast while a task is young (every 50 ms, so a short task is confirmed within ~50 ms
 * of its end — a group's window is its recovery point's skew) and slower as the youngest
 * ages (a quarter of its age, at most every 2 s).
 */
class TaskWatcher {
  readonly #waiters = new Set<Waiter>();
  #collector: MoRef | undefined;
  #running = false;

  constructor(private readonly client: Vim25Client) {}

  wait(
    collector: MoRef,
    task: MoRef,
    what: string,
    options: { deadlineMs?: number; signal?: AbortSignal },
  ): Promise<TaskOutcome> {
    this.#collector = collector;
    return new Promise<TaskOutcome>((resolve, reject) => {
      const signal = options.signal;
      if (signal?.aborted) return reject(abortError(signal));
      const onAbort = () => {
        this.#waiters.delete(waiter);
        reject(abortError(signal!));
      };
      const waiter: Waiter = {
        task,
        what,
        deadline: Date.now() + (options.deadlineMs ?? 30 * 60_000),
        since: Date.now(),
        resolve: (outcome) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
      if (!this.#running) void this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (this.#waiters.size > 0) {
        await this.#tick();
        if (this.#waiters.size === 0) break;
        const youngest = Math.max(...[...this.#waiters].map((w) => w.since));
        await delay(Math.min(2000, Math.max(50, (Date.now() - youngest) / 4)));
      }
    } finally {
      this.#running = false;
    }
  }

  async #tick(): Promise<void> {
    const waiters = [...this.#waiters];
    let contents: ObjectContent[];
    try {
      contents = await retrieveObjects(
        this.client,
        this.#collector!,
        waiters.map((w) => w.task),
        PATHS,
      );
    } catch (error) {
      // One task the server no longer knows must not fail the others: each is read alone.
      contents = [];
      for (const w of waiters) {
        try {
          const one = await retrieveObject(this.client, this.#collector!, w.task, PATHS);
          if (one) contents.push(one);
        } catch (own) {
          this.#settle(w, () => w.reject(own));
        }
      }
      if (contents.length === 0 && waiters.every((w) => this.#waiters.has(w))) {
        for (const w of waiters) this.#settle(w, () => w.reject(error));
        return;
      }
    }
    const byId = new Map(contents.map((c) => [c.obj.value, c.props]));
    for (const w of waiters) {
      if (!this.#waiters.has(w)) continue;
      const info = byId.get(w.task.value);
      const state = info?.get('info.state')?.text;
      if (state === 'success') {
        const result = morefOf(info?.get('info.result'));
        this.#settle(w, () => w.resolve(result ? { result } : {}));
      } else if (state === 'error') {
        this.#settle(w, () => w.reject(taskError(info?.get('info.error'), w.what)));
      } else if (Date.now() > w.deadline) {
        this.#settle(w, () =>
          w.reject(
            new DrkitError('timeout', `${w.what}: task ${w.task.value} still ${state ?? 'unknown'} at its deadline`, {
              fault: 'TaskDeadline',
            }),
          ),
        );
      }
    }
  }

  #settle(w: Waiter, how: () => void): void {
    if (!this.#waiters.delete(w)) return;
    how();
  }
}

/** A LocalizedMethodFault: its `fault` element is typed like a SOAP fault's detail. */
function taskError(error: XmlNode | undefined, what: string): DrkitError {
  const fault = child(error, 'fault');
  const message = text(error, 'localizedMessage') ?? '';
  const soapFault: XmlNode = {
    name: 'Fault',
    text: '',
    children: [
      { name: 'faultstring', text: message, children: [] },
      { name: 'detail', text: '', children: fault ? [fault] : [] },
    ],
  };
  return faultToError(soapFault, what);
}
