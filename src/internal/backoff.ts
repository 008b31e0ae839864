import { checkNumber } from './options.js';

/** Jittered exponential backoff between attempts after a transient failure. */
export interface BackoffOptions {
  /** Delay before the first retry. Default 200 ms. */
  baseMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Ceiling of one delay (before jitter, which multiplies by U[1, 2)). Default 20,000 ms. */
  maxMs?: number;
}

/**
 * Resolves a backoff option over `defaults`, checking each field; errors name `${name}.field`.
 */
export function resolveBackoff(name: string, given: BackoffOptions | undefined, defaults: Required<BackoffOptions>): Readonly<Required<BackoffOptions>> {
  const b = { ...defaults, ...given };
  return Object.freeze({
    baseMs: checkNumber(`${name}.baseMs`, b.baseMs, 0),
    factor: checkNumber(`${name}.factor`, b.factor, 1, 100),
    maxMs: checkNumber(`${name}.maxMs`, b.maxMs, 0),
  });
}

/**
 * The wait before retry number `retriesDone + 1`: `baseMs * factor^retriesDone`, jittered by
 * U[1, 2) from `random`, capped at `maxMs` — p-retry's formula, for loops that wait on an
 * injected clock instead of p-retry's real timers.
 */
export function backoffDelayMs(backoff: Readonly<Required<BackoffOptions>>, retriesDone: number, random: () => number): number {
  return Math.min(Math.round((random() + 1) * backoff.baseMs * backoff.factor ** retriesDone), backoff.maxMs);
}

/**
 * The wait after Secrets Manager throttled a read: "full jitter" over a window that starts at
 * one second and doubles per throttled try, to the backoff's `maxMs` (at least 1 s, at most
 * 16 s); each wait is in [window / 2, window]. Throttling is counted per second for the
 * whole account, so a retry inside the same second is turned away again; spreading a fleet's
 * retries over the next seconds lets the quota serve them one second's worth at a time.
 */
export function throttledDelayMs(retriesDone: number, random: () => number, maxMs = 16_000): number {
  const windowMs = Math.min(1_000 * 2 ** Math.min(retriesDone, 4), Math.max(1_000, maxMs));
  return Math.round(windowMs * (0.5 + random() / 2));
}
