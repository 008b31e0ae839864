/** A bounded load generator and latency statistics, shared by the demo, the benchmarks and the rotation tests. */

export interface LoadResult {
  ok: number;
  failed: number;
  /** Latency of every operation in ms, in completion order. */
  latenciesMs: number[];
  /** Up to 10 distinct failure descriptions (error name / code / message). */
  failures: string[];
  /** Completion time (ms since start) of each failure, for plotting and assertions. */
  failureTimesMs: number[];
}

export interface LoadOptions {
  /** Concurrent workers. */
  concurrency: number;
  /** One operation; `seq` is unique across workers. */
  op: (seq: number) => Promise<unknown>;
  /** Keep going while this returns true. */
  running: () => boolean;
  /** Hard stop after this long, whatever `running` says. */
  maxDurationMs: number;
  /** Pause after each operation per worker (sets the rate). Default 0. */
  thinkMs?: number;
}

function describeError(err: unknown): string {
  const e = err as { name?: string; code?: unknown; message?: string };
  return `${e?.name ?? 'Error'}${e?.code !== undefined ? ` [${String(e.code)}]` : ''}: ${e?.message ?? String(err)}`;
}

/** Runs `op` from `concurrency` workers until `running()` is false or the time is up. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const result: LoadResult = { ok: 0, failed: 0, latenciesMs: [], failures: [], failureTimesMs: [] };
  const start = performance.now();
  const deadline = start + options.maxDurationMs;
  let seq = 0;
  const worker = async (): Promise<void> => {
    while (options.running() && performance.now() < deadline) {
      const t0 = performance.now();
      try {
        await options.op(seq++);
        result.ok++;
      } catch (err) {
        result.failed++;
        result.failureTimesMs.push(performance.now() - start);
        const text = describeError(err);
        if (result.failures.length < 10 && !result.failures.includes(text)) result.failures.push(text);
      }
      result.latenciesMs.push(performance.now() - t0);
      if (options.thinkMs) await new Promise((resolve) => setTimeout(resolve, options.thinkMs));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return result;
}

/** The p-th percentile (0..100) of `values`, nearest-rank; 0 for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
