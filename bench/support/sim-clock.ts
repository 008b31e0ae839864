import type { Clock } from '../../src/internal/clock.js';

interface Sleeper {
  at: number;
  seq: number;
  resolve: () => void;
}

/**
 * A simulated clock for the fleet benchmark: the same contract as `ManualClock` (credstage/testing)
 * — `now()`, `monotonicMs()`, `sleep()` that ends only when the clock is moved — with a binary
 * heap of sleepers. ManualClock re-sorts its whole list on every sleep, which is fine for a test
 * and quadratic for 10,000 processes that each sleep several times a second. `run()` moves time
 * from one wake-up to the next, letting every promise settle in between, so simulated hours
 * cost seconds and every run with the same seed is the same.
 */
export class SimClock implements Clock {
  #wallMs: number;
  #monotonicMs = 0;
  #seq = 0;
  readonly #heap: Sleeper[] = [];

  constructor(startMs: number) {
    this.#wallMs = startMs;
  }

  get size(): number {
    return this.#heap.length;
  }

  now(): number {
    return this.#wallMs;
  }

  monotonicMs(): number {
    return this.#monotonicMs;
  }

  sleep(ms: number): Promise<void> {
    if (!(ms > 0)) return Promise.resolve();
    return new Promise((resolve) => this.#push({ at: this.#monotonicMs + Math.max(1, Math.round(ms)), seq: this.#seq++, resolve }));
  }

  /** Runs the simulation until monotonic time `untilMs`, wake-up by wake-up. */
  async runUntil(untilMs: number): Promise<void> {
    for (;;) {
      await settle();
      const top = this.#heap[0];
      if (top === undefined || top.at > untilMs) break;
      this.#moveTo(top.at);
      while (this.#heap.length > 0 && this.#heap[0]!.at <= this.#monotonicMs) this.#pop().resolve();
    }
    this.#moveTo(untilMs);
    await settle();
  }

  /** Runs the simulation until `promise` settles (e.g. a call of the rotation driver), and returns its value. */
  async runFor<T>(promise: Promise<T>): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => (settled = true));
    watched.catch(() => undefined);
    while (!settled) {
      await settle();
      if (settled) break;
      const top = this.#heap[0];
      if (top === undefined) throw new Error('the simulation has nothing left to run, and the promise is still pending');
      this.#moveTo(top.at);
      while (this.#heap.length > 0 && this.#heap[0]!.at <= this.#monotonicMs) this.#pop().resolve();
    }
    return watched;
  }

  #moveTo(monotonicMs: number): void {
    if (monotonicMs <= this.#monotonicMs) return;
    this.#wallMs += monotonicMs - this.#monotonicMs;
    this.#monotonicMs = monotonicMs;
  }

  #less(a: Sleeper, b: Sleeper): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #push(s: Sleeper): void {
    const h = this.#heap;
    h.push(s);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  #pop(): Sleeper {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.#less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.#less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** Lets every promise that can settle now settle (one macrotask turn drains the microtasks). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A seeded PRNG (mulberry32): the same seed gives the same fleet. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
