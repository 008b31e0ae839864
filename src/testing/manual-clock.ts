import type { Clock } from '../internal/clock.js';

interface Sleeper {
  readonly at: number;
  readonly resolve: () => void;
}

/**
 * A clock that moves only when told to: for unit tests of code that takes a credstage `clock`
 * (cache TTLs, recovery budgets, rate limits, schedules). `now()` (wall time) and
 * `monotonicMs()` (budgets) move together on `advance()`; `sleep(ms)` resolves once the clock
 * has been advanced past its end, so waits cost no real time. `set()` moves wall time alone,
 * as an NTP step would.
 *
 * @example
 * ```ts
 * import { ManualClock } from 'credstage/testing';
 *
 * const clock = new ManualClock();
 * const cache = new SecretCache({ secretsManager: sm, clock, ttlMs: 60_000 });
 * await cache.getSecretString('app/db');
 * clock.advance(60_000); // every entry is now past its TTL
 * ```
 */
export class ManualClock implements Clock {
  #wallMs: number;
  #monotonicMs = 0;
  #sleepers: Sleeper[] = [];

  /** Starts at wall time `startMs` (default 0, the epoch) and monotonic time 0. */
  constructor(startMs = 0) {
    this.#wallMs = startMs;
  }

  /** Wall time in ms. */
  now(): number {
    return this.#wallMs;
  }

  /** Monotonic time in ms since the clock was made. */
  monotonicMs(): number {
    return this.#monotonicMs;
  }

  /** Resolves once `advance()` has moved the clock `ms` past the moment of the call. */
  sleep(ms: number): Promise<void> {
    if (!(ms > 0)) return Promise.resolve();
    return new Promise((resolve) => {
      this.#sleepers.push({ at: this.#monotonicMs + ms, resolve });
      this.#sleepers.sort((a, b) => a.at - b.at);
    });
  }

  /** Moves both readings forward by `ms` and wakes every sleep that has ended, earliest first. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`advance(ms) needs ms >= 0, got ${ms}`);
    this.#wallMs += ms;
    this.#monotonicMs += ms;
    while (this.#sleepers.length > 0 && this.#sleepers[0]!.at <= this.#monotonicMs) this.#sleepers.shift()!.resolve();
  }

  /** Sets wall time alone (a clock step); budgets and sleeps are not affected. */
  set(wallMs: number): void {
    this.#wallMs = wallMs;
  }

  /** How many sleeps are waiting for `advance()`. */
  get pendingSleeps(): number {
    return this.#sleepers.length;
  }
}
