import { afterEach, describe, expect, it, vi } from 'vitest';
import { coarseSystemClock } from '../../../src/internal/clock.js';

afterEach(() => vi.useRealTimers());

describe('coarseSystemClock', () => {
  it('reuses one reading until its timer has run, then reads the system clock again', async () => {
    vi.useFakeTimers({ now: 1_000 });
    const clock = coarseSystemClock(1);

    const first = clock.now();
    vi.setSystemTime(5_000); // the system clock moved, the reading's timer has not run yet
    const same = clock.now();
    await vi.advanceTimersByTimeAsync(1);
    const later = clock.now();

    expect(first).toBe(1_000);
    expect(same).toBe(1_000);
    expect(later).toBe(5_001);
  });

  it('does not keep the process alive (the timer is unref-ed)', () => {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    coarseSystemClock(1).now();
    const timer = spy.mock.results[0]!.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    spy.mockRestore();
  });
});
