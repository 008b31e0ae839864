import type { Clock } from '../internal/clock.js';

interface Sleeper {
  readonly at: number;
  /** Order of scheduling: sleeps that end at the same moment wake in the order they began. */
  readonly seq: number;
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
  #seq = 0;
  // A binary min-heap on (at, seq): a fleet simulation keeps thousands of sleeps pending, and
  // re-sorting a list on every sleep would make each one cost O(n log n).
  readonly #sleepers: Sleeper[] = [];

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
    return new Promise((resolve) => this.#push({ at: this.#monotonicMs + ms, seq: this.#seq++, resolve }));
  }

  /**
   * Moves both readings forward by `ms` and wakes every sleep that has ended, earliest first
   * (sleeps that end at the same moment in the order they were begun).
   */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`advance(ms) needs ms >= 0, got ${ms}`);
    this.#wallMs += ms;
    this.#monotonicMs += ms;
    while (this.#sleepers.length > 0 && this.#sleepers[0]!.at <= this.#monotonicMs) this.#pop().resolve();
  }

  /** Sets wall time alone (a clock step); budgets and sleeps are not affected. */
  set(wallMs: number): void {
    this.#wallMs = wallMs;
  }

  /** How many sleeps are waiting for `advance()`. */
  get pendingSleeps(): number {
    return this.#sleepers.length;
  }

  /**
   * The monotonic time at which the earliest pending sleep ends, or `undefined` when none is
   * pending: lets a simulation move the clock from one wake-up to the next.
   *
   * @example
   * ```ts
   * const at = clock.nextWakeAt;
   * if (at !== undefined) clock.advance(at - clock.monotonicMs());
   * ```
   */
  get nextWakeAt(): number | undefined {
    return this.#sleepers[0]?.at;
  }

  #push(sleeper: Sleeper): void {
    const h = this.#sleepers;
    h.push(sleeper);
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!earlier(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  #pop(): Sleeper {
    const h = this.#sleepers;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length === 0) return top;
    h[0] = last;
    for (let i = 0; ; ) {
      const left = 2 * i + 1;
      const right = left + 1;
      let first = i;
      if (left < h.length && earlier(h[left]!, h[first]!)) first = left;
      if (right < h.length && earlier(h[right]!, h[first]!)) first = right;
      if (first === i) break;
      [h[i], h[first]] = [h[first]!, h[i]!];
      i = first;
    }
    return top;
  }
}

function earlier(a: Sleeper, b: Sleeper): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
