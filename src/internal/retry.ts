import { backoffDelayMs, type BackoffOptions } from './backoff.js';
import { monotonicMs, type Clock, type RandomSource } from './clock.js';

/** How {@link retryOnClock} retries. */
export interface RetryPlan {
  /** Retries after the first attempt (Infinity for none but the time limit). */
  retries: number;
  /** No retry starts later than this after the first attempt (monotonic ms on `clock`); Infinity for no limit. */
  maxRetryTimeMs: number;
  backoff: Readonly<Required<BackoffOptions>>;
  /** The waits (`sleep`, else real timers) and the time limit (`monotonicMs`) are read here. */
  clock: Clock;
  random: RandomSource;
  /** Ends the loop with its reason: during a wait at once, else before the next attempt. */
  signal?: AbortSignal;
  /** A real timer does not keep the process alive (a background refresh). */
  unref?: boolean;
  /** Called after each failed attempt, before deciding on a retry. */
  onFailedAttempt?: (error: unknown, attemptNumber: number) => void;
  /** Whether a failed attempt is tried again (the limits above permitting). */
  shouldRetry: (error: unknown) => boolean;
  /**
   * The wait before retry number `retriesDone + 1`, when the default (jittered exponential
   * {@link backoffDelayMs}) is not the one wanted for this error.
   */
  delayMs?: (error: unknown, retriesDone: number) => number;
}

/**
 * Runs `attempt` until it succeeds or the plan says stop, waiting between attempts on the
 * injected clock: p-retry's loop (same order of onFailedAttempt, limits and shouldRetry, same
 * jittered delays), but with waits a fake clock drives, so a simulated fleet or a test with
 * `ManualClock` does not wait on real timers. A clock without `sleep` waits on real timers.
 */
export async function retryOnClock<T>(attempt: () => Promise<T>, plan: RetryPlan): Promise<T> {
  const startedAt = monotonicMs(plan.clock);
  for (let retriesDone = 0; ; retriesDone++) {
    plan.signal?.throwIfAborted();
    let result: T;
    try {
      result = await attempt();
    } catch (error) {
      plan.onFailedAttempt?.(error, retriesDone + 1);
      const leftMs = plan.maxRetryTimeMs - (monotonicMs(plan.clock) - startedAt);
      if (leftMs <= 0 || retriesDone >= plan.retries || !plan.shouldRetry(error)) throw error;
      const waitMs = Math.min(plan.delayMs?.(error, retriesDone) ?? backoffDelayMs(plan.backoff, retriesDone, plan.random), leftMs);
      plan.signal?.throwIfAborted();
      if (waitMs > 0) await waitOn(plan.clock, waitMs, plan.signal, plan.unref === true);
      plan.signal?.throwIfAborted();
      continue;
    }
    // An answer that arrives after the abort is not handed out (a closed cache's caller gets its ClosedError).
    plan.signal?.throwIfAborted();
    return result;
  }
}

/** Waits `ms` on `clock` (its sleep, else an optionally unref'd timer); rejects with the signal's reason when aborted. */
function waitOn(clock: Clock, ms: number, signal: AbortSignal | undefined, unref: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      reject(signal!.reason);
    };
    const done = (): void => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (clock.sleep) {
      clock.sleep(ms).then(done, done);
    } else {
      timer = setTimeout(done, ms);
      if (unref) timer.unref();
    }
  });
}
