/**
 * The OpenTelemetry SDK wired to in-memory exporters, for the bridge tests: `collect()` returns
 * every metric point by name as `{ attributes, value }` (value: the sum of a counter, the count
 * and sum of a histogram), `spans()` the finished spans.
 */
import { AggregationTemporality, DataPointType, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

export interface Point {
  attributes: Record<string, unknown>;
  /** Counters and UpDownCounters: the cumulative sum. */
  value?: number;
  /** Histograms. */
  count?: number;
  sum?: number;
}

export interface OtelHarness {
  meterProvider: MeterProvider;
  tracerProvider: BasicTracerProvider;
  collect(): Promise<Map<string, Point[]>>;
  spans(): ReadableSpan[];
  shutdown(): Promise<void>;
}

export function otelHarness(): OtelHarness {
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Exports only when flushed: the test decides when to read.
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
  return {
    meterProvider,
    tracerProvider,
    async collect() {
      metricExporter.reset();
      await reader.forceFlush();
      const byName = new Map<string, Point[]>();
      for (const resource of metricExporter.getMetrics()) {
        for (const scope of resource.scopeMetrics) {
          for (const metric of scope.metrics) {
            const points = metric.dataPoints.map((p): Point => {
              const attributes = { ...p.attributes };
              if (metric.dataPointType === DataPointType.HISTOGRAM) {
                const h = p.value as { count: number; sum?: number };
                return { attributes, count: h.count, sum: h.sum ?? 0 };
              }
              return { attributes, value: p.value as number };
            });
            byName.set(metric.descriptor.name, points);
          }
        }
      }
      return byName;
    },
    spans: () => spanExporter.getFinishedSpans(),
    async shutdown() {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    },
  };
}

/** Sums `value` (or `count`) of the points whose attributes hold `where`, grouped by the `by` attributes joined with a space. */
export function tally(points: Point[] | undefined, by: string[], field: 'value' | 'count' | 'sum' = 'value'): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of points ?? []) {
    const key = by.map((k) => String(p.attributes[k] ?? '-')).join(' ');
    out.set(key, (out.get(key) ?? 0) + (p[field] ?? 0));
  }
  return out;
}

/** One line per point, for a test's log: `name {attr=value,...} value`. */
export function formatPoints(points: Map<string, Point[]>): string {
  const lines: string[] = [];
  for (const [name, list] of [...points].sort(([a], [b]) => a.localeCompare(b))) {
    for (const p of list) {
      const attrs = Object.entries(p.attributes)
        .filter(([k]) => k !== 'credstage.secret.id' && k !== 'rpc.system' && k !== 'rpc.service')
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(',');
      const value = p.count === undefined ? String(p.value) : `count=${p.count} sum=${(p.sum ?? 0).toFixed(6)}s`;
      lines.push(`${name} {${attrs}} ${value}`);
    }
  }
  return lines.join('\n');
}
