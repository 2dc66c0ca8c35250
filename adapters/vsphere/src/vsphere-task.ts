import { DrkitError, delay } from '@drkit/core';
import { faultToError } from './vim25-fault.js';
import type { MoRef, Vim25Client } from './vim25-client.js';
import { retrieveObject } from './vsphere-property-collector.js';
import { morefOf } from './vsphere-service-content.js';
import { child, text, type XmlNode } from './vim25-xml.js';

export interface TaskOutcome {
  /** info.result, when the task returns something (CreateSnapshot_Task: the snapshot's moref). */
  result?: MoRef;
}

/**
 * Follows a vSphere task to its end by polling `info.state` (200 ms doubling to 2 s),
 * bounded by a deadline. A failed task becomes the typed error of its fault
 * (ApplicationQuiesceFault, SnapshotLocked, InvalidPowerState…). A task still running at
 * the deadline is a `timeout` — it may yet finish: callers reconcile by tag, never retry blind.
 */
export async function waitForTask(
  client: Vim25Client,
  collector: MoRef,
  task: MoRef,
  what: string,
  options: { deadlineMs?: number; signal?: AbortSignal } = {},
): Promise<TaskOutcome> {
  const deadline = Date.now() + (options.deadlineMs ?? 30 * 60_000);
  for (let attempt = 0; ; attempt++) {
    const info = (
      await retrieveObject(client, collector, task, ['info.state', 'info.result', 'info.error'], options.signal)
    )?.props;
    const state = info?.get('info.state')?.text;
    if (state === 'success') {
      const result = morefOf(info?.get('info.result'));
      return result ? { result } : {};
    }
    if (state === 'error') throw taskError(info?.get('info.error'), what);
    if (Date.now() > deadline)
      throw new DrkitError('timeout', `${what}: task ${task.value} still ${state ?? 'unknown'} at its deadline`, {
        fault: 'TaskDeadline',
      });
    await delay(Math.min(2000, 200 * 2 ** attempt), options.signal);
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
