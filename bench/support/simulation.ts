import type { ManualClock } from '../../src/testing/manual-clock.js';

/**
 * Drives a `ManualClock` (credstage/testing) for the fleet benchmark: moves time from one
 * wake-up to the next, letting every promise settle in between, so simulated hours cost
 * seconds and every run with the same seed is the same.
 */

/** Runs the simulation until monotonic time `untilMs`, wake-up by wake-up. */
export async function runUntil(clock: ManualClock, untilMs: number): Promise<void> {
  for (;;) {
    await settle();
    const at = clock.nextWakeAt;
    if (at === undefined || at > untilMs) break;
    moveTo(clock, at);
  }
  moveTo(clock, untilMs);
  await settle();
}

/** Runs the simulation until `promise` settles (e.g. a call of the rotation driver), and returns its value. */
export async function runFor<T>(clock: ManualClock, promise: Promise<T>): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => (settled = true));
  watched.catch(() => undefined);
  while (!settled) {
    await settle();
    if (settled) break;
    const at = clock.nextWakeAt;
    if (at === undefined) throw new Error('the simulation has nothing left to run, and the promise is still pending');
    moveTo(clock, at);
  }
  return watched;
}

/** Advances `clock` to monotonic time `monotonicMs` (waking every sleep that ends by then); never backwards. */
function moveTo(clock: ManualClock, monotonicMs: number): void {
  const ms = monotonicMs - clock.monotonicMs();
  if (ms > 0) clock.advance(ms);
}

/** Lets every promise that can settle now settle (one macrotask turn drains the microtasks). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
