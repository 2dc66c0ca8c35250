import { describe, expect, it } from 'vitest';
import { stepClock } from './step-clock.js';

describe('the clock of a machine recovery', () => {
  it('gives each reported step the time until the next, and the whole as recover', () => {
    let t = 1000;
    const seen: string[] = [];
    const clock = stepClock(
      (s) => seen.push(s),
      () => t,
    );
    t = 1010;
    clock.onProgress({ kind: 'phase', phase: 'check' });
    t = 1040;
    clock.onProgress({ kind: 'bytes', read: 1, sent: 1, skipped: 0 });
    clock.onProgress({ kind: 'phase', phase: 'create' });
    t = 1100;
    clock.onProgress({ kind: 'phase', phase: 'upload' });
    t = 1600;
    expect(clock.stop()).toEqual({ check: 30, create: 60, upload: 500, recover: 600 });
    expect(seen).toEqual(['check', 'create', 'upload']);
  });

  it('a step reported twice adds up; a recovery that failed before any step still has its total', () => {
    let t = 0;
    const clock = stepClock(
      () => {},
      () => t,
    );
    clock.onProgress({ kind: 'phase', phase: 'upload' });
    t = 5;
    clock.onProgress({ kind: 'phase', phase: 'attach' });
    t = 7;
    clock.onProgress({ kind: 'phase', phase: 'upload' });
    t = 10;
    expect(clock.stop()).toEqual({ upload: 8, attach: 2, recover: 10 });
    t = 0;
    const failed = stepClock(
      () => {},
      () => t,
    );
    t = 3;
    expect(failed.stop()).toEqual({ recover: 3 });
  });
});
