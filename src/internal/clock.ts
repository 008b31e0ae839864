/**
 * A source of the current time in milliseconds. Injected wherever credstage reads the
 * time, so tests can drive it with a fake clock.
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
  /**
   * Waits `ms` on this clock. Optional: without it credstage waits on real timers. A fake clock
   * that provides it decides when waits end (the rotation explorer's schedules do).
   */
  sleep?(ms: number): Promise<void>;
}

/** The real clock: `Date.now()`. */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

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
  });
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

/** Waits `ms` on `clock` when it can sleep, else on a real timer. */
export function sleepOn(clock: Clock, ms: number): Promise<void> {
  return clock.sleep ? clock.sleep(ms) : sleep(ms);
}
