/** Per-second counts and latencies of one client's operations, for the live line and the HTML report. */
export class Timeline {
  readonly #startMs: number;
  readonly ok: number[] = [];
  readonly failed: number[] = [];
  readonly latenciesMs: number[] = [];
  /** Latencies of the operations that ended in each second, for the per-second p50/p99 chart. */
  readonly latenciesBySecond: number[][] = [];

  constructor(
    readonly name: string,
    startMs: number,
  ) {
    this.#startMs = startMs;
  }

  /** Records one operation that ended at `endMs` after `latencyMs`. */
  record(succeeded: boolean, latencyMs: number, endMs = performance.now()): void {
    const second = Math.max(0, Math.floor((endMs - this.#startMs) / 1000));
    while (this.ok.length <= second) {
      this.ok.push(0);
      this.failed.push(0);
      this.latenciesBySecond.push([]);
    }
    if (succeeded) this.ok[second]!++;
    else this.failed[second]!++;
    this.latenciesMs.push(latencyMs);
    this.latenciesBySecond[second]!.push(latencyMs);
  }

  get totalOk(): number {
    return this.ok.reduce((a, b) => a + b, 0);
  }

  get totalFailed(): number {
    return this.failed.reduce((a, b) => a + b, 0);
  }
}
