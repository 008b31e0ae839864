import { InvalidOptionError } from '../errors.js';

/**
 * The time source, injected wherever credstage reads the time, so tests can drive it with a
 * fake clock (`ManualClock` from `credstage/testing` is one).
 *
 * - `now()` is wall time (ms since the epoch): TTLs, rate limits, schedules, event times.
 * - `monotonicMs()` measures budgets, deadlines and durations. Optional: a clock without it
 *   (a `{ now }` object) gets `performance.now()` for those. Deriving it from `now()` instead
 *   would let a frozen test clock freeze every recovery budget (a bounded wait would become a
 *   hang), and would let a wall-clock step shorten or stretch a budget.
 * - `sleep(ms)` waits on this clock. Optional: without it credstage waits on real timers.
 *
 * @example
 * ```ts
 * let now = 0;
 * const cache = new SecretCache({ clock: { now: () => now } });
 * now += 60_000; // a minute passes
 * ```
 */
export interface Clock {
  now(): number;
  /** A monotonic reading in ms (any origin) for budgets and durations. Default `performance.now()`. */
  monotonicMs?(): number;
  /**
   * Waits `ms` on this clock. Optional: without it credstage waits on real timers. A fake clock
   * that provides it decides when waits end (the rotation explorer's schedules do).
   */
  sleep?(ms: number): Promise<void>;
}

/** The real clock: `Date.now()`, and `performance.now()` for budgets. */
export const systemClock: Clock = Object.freeze({ now: () => Date.now(), monotonicMs: () => performance.now() });

/**
 * The system clock, read at most once per `resolutionMs`: a reading is reused until an unref'd
 * timer clears it (lru-cache's `ttlResolution` does the same). Reading the real clock costs
 * about half of a whole cache hit, while TTLs are minutes: being up to a millisecond late
 * to notice an expiry changes nothing. Time stands still only while the event loop is busy.
 */
export function coarseSystemClock(resolutionMs = 1): Clock {
  let cached = 0;
  const clear = (): void => {
    cached = 0;
  };
  return Object.freeze({
    now(): number {
      if (cached !== 0) return cached;
      cached = Date.now();
      setTimeout(clear, resolutionMs).unref();
      return cached;
    },
    // Budgets are read off the hit path (recovery, refresh retries): no need to coarsen them.
    monotonicMs: () => performance.now(),
  });
}

/** The monotonic reading of `clock`: its own `monotonicMs()`, else `performance.now()`. */
export function monotonicMs(clock: Clock): number {
  return clock.monotonicMs === undefined ? performance.now() : clock.monotonicMs();
}

/**
 * Checks a clock option (InvalidOptionError naming `name`) and returns it, or `fallback` when
 * it is undefined.
 */
export function checkClock(name: string, clock: unknown, fallback: Clock = systemClock): Clock {
  if (clock === undefined) return fallback;
  const c = clock as Partial<Clock> | null;
  if (typeof c?.now !== 'function') throw new InvalidOptionError(name, 'must have a now() method');
  if (c.monotonicMs !== undefined && typeof c.monotonicMs !== 'function') throw new InvalidOptionError(name, 'monotonicMs, when given, must be a function');
  if (c.sleep !== undefined && typeof c.sleep !== 'function') throw new InvalidOptionError(name, 'sleep, when given, must be a function');
  return c as Clock;
}

/** A uniform random number in [0, 1); injectable so jitter is testable. */
export type RandomSource = () => number;

/** Resolves after `ms` milliseconds, or at once when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * Waits `ms` on `clock` when it can sleep, else on a real timer; resolves at once when `signal`
 * aborts (a stopping scheduler must not wait out the rest of a spread-out check).
 */
export function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (!clock.sleep) return sleep(ms, signal);
  if (signal === undefined) return clock.sleep(ms);
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    clock.sleep!(ms).then(done, done);
  });
}
