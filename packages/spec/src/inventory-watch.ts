import type { PowerState } from './inventory.js';
import type { OperationOptions } from './progress.js';

/** One change the platform reported, as `drkit discover --watch` prints it (a JSON line each). */
export type InventoryChange = { at: string; machineId: string; name: string } & (
  | { change: 'machine-added'; powerState: PowerState }
  | { change: 'machine-removed' }
  | { change: 'machine-renamed'; from: string }
  | { change: 'power'; from: PowerState; to: PowerState }
  | { change: 'disk-added' | 'disk-removed'; disk: { id: string; name: string; capacityBytes: number } }
);

/**
 * Where the platform pushes inventory changes (vSphere's PropertyCollector), a watch that
 * yields them as they happen, without a full discovery pass. Ends when the signal aborts.
 * Reports the phase `watching` once it knows the inventory as it stands: every change from
 * then on is yielded.
 */
export interface NativeInventoryWatch {
  watch(options?: OperationOptions): AsyncIterable<InventoryChange>;
}
