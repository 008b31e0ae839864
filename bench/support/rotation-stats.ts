/** Sampling and table helpers shared by the rotation benchmarks (redshift, documentdb). */
import { percentile } from '../../tools/demo/load.js';
import type { RotationBenchRow } from '../rotation.js';

/** One operation of the load: when it started (ms since the bench's t0), how long it took, whether it worked. */
export interface Sample {
  startMs: number;
  latencyMs: number;
  ok: boolean;
}

/** A span of the run during which a rotation was in progress, in ms since t0. */
export interface Window {
  fromMs: number;
  toMs: number;
}

/** Wraps `op` so every call is recorded in `samples` (and still throws as before). */
export function recording(op: () => Promise<unknown>, samples: Sample[], t0: number): () => Promise<unknown> {
  return async () => {
    const start = performance.now();
    try {
      const out = await op();
      samples.push({ startMs: start - t0, latencyMs: performance.now() - start, ok: true });
      return out;
    } catch (err) {
      samples.push({ startMs: start - t0, latencyMs: performance.now() - start, ok: false });
      throw err;
    }
  };
}

/** Operations of the first second are left out of the no-rotation p99: the client is still opening its first connections. */
const SETTLING_MS = 1_000;

/**
 * ok/failed over the whole run; latency percentiles over the operations that started inside a
 * window, and the p99 of those that started outside every window (after the first second), so
 * the row shows what rotations add to the same client's p99 under the same load.
 */
export function rowFrom(client: string, samples: readonly Sample[], windows: readonly Window[], note?: string): RotationBenchRow {
  const inWindow = (s: Sample): boolean => windows.some((w) => s.startMs >= w.fromMs && s.startMs <= w.toMs);
  const during = samples.filter(inWindow).map((s) => s.latencyMs);
  const between = samples.filter((s) => !inWindow(s) && s.startMs >= SETTLING_MS).map((s) => s.latencyMs);
  const ok = samples.filter((s) => s.ok).length;
  return {
    client,
    ok,
    failed: samples.length - ok,
    p50Ms: percentile(during, 50),
    p99Ms: percentile(during, 99),
    maxMs: during.length === 0 ? 0 : Math.max(...during),
    p99NoRotationMs: percentile(between, 99),
    ...(note === undefined ? {} : { note }),
  };
}

/** A plain-text table, one row per client. */
export function formatTable(rows: readonly RotationBenchRow[]): string {
  const header = ['client', 'failed', 'ok', 'p50 ms', 'p99 ms', 'max ms', 'p99 no rotation', 'added p99', 'note'];
  const cells = rows.map((r) => [
    r.client,
    String(r.failed),
    String(r.ok),
    r.p50Ms.toFixed(1),
    r.p99Ms.toFixed(1),
    r.maxMs.toFixed(1),
    r.p99NoRotationMs === undefined ? '' : r.p99NoRotationMs.toFixed(1),
    r.p99NoRotationMs === undefined ? '' : `${r.p99Ms >= r.p99NoRotationMs ? '+' : ''}${(r.p99Ms - r.p99NoRotationMs).toFixed(1)}`,
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => c.map((v, i) => (i === 0 || i === 8 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
