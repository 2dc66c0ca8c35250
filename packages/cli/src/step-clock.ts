import type { ProgressEvent } from '@drkit/core';

/**
 * Times one machine's recovery from the steps its adapter reports (phase events): how long
 * each took, and the whole as `recover` — what `drkit recover --json` prints per machine.
 */
export interface StepClock {
  onProgress(event: ProgressEvent): void;
  /** Milliseconds per step, and `recover` for the whole; the step under way ends here. */
  stop(): Record<string, number>;
}

export function stepClock(onStep: (step: string) => void, now: () => number = Date.now): StepClock {
  const started = now();
  const ms: Record<string, number> = {};
  let current: { step: string; at: number } | undefined;
  const close = (at: number) => {
    if (current) ms[current.step] = (ms[current.step] ?? 0) + at - current.at;
    current = undefined;
  };
  return {
    onProgress(event) {
      if (event.kind !== 'phase') return;
      const at = now();
      close(at);
      current = { step: event.phase, at };
      onStep(event.phase);
    },
    stop() {
      const at = now();
      close(at);
      return { ...ms, recover: at - started };
    },
  };
}
