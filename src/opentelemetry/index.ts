/**
 * `credstage/opentelemetry`: turns what credstage publishes on `node:diagnostics_channel`
 * (`CHANNELS` of `credstage`) into OpenTelemetry metrics and rotation-step spans. Needs the
 * optional peer `@opentelemetry/api`; nothing else of credstage loads it.
 */
import { subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel';
import { metrics, SpanKind, SpanStatusCode, trace, type MeterProvider, type Span, type TracerProvider } from '@opentelemetry/api';
import { CHANNELS, type RotationStepMessage } from '../diagnostics/channels.js';
import { InvalidOptionError } from '../errors.js';
import { isPlainObject, refuseUnknownKeys } from '../internal/options.js';
import { ATTRIBUTES, CredstageMetrics } from './metrics.js';

export { METRIC_NAMES, ATTRIBUTES } from './metrics.js';

/** The name of the meter and the tracer the bridge records with. */
export const INSTRUMENTATION_SCOPE = 'credstage';

/** Options of {@link instrumentCredstage}. */
export interface InstrumentCredstageOptions {
  /** Where metrics go. Default: the global MeterProvider (`metrics.getMeterProvider()`). */
  meterProvider?: MeterProvider;
  /** Where rotation-step spans go. Default: the global TracerProvider (`trace.getTracerProvider()`). */
  tracerProvider?: TracerProvider;
}

/** What {@link instrumentCredstage} returns. */
export interface CredstageInstrumentation {
  /** Unsubscribes from every channel; spans of steps still running are ended. Safe to call twice. */
  stop(): void;
}

const OPTION_KEYS = Object.freeze({ meterProvider: true, tracerProvider: true } as const);

function checkProvider<P>(name: string, value: P | undefined, method: string): P | undefined {
  if (value !== undefined && typeof (value as Record<string, unknown> | null)?.[method] !== 'function') {
    throw new InvalidOptionError(name, `must have a ${method}() method`);
  }
  return value;
}

/**
 * Subscribes to credstage's diagnostics channels and records, for every SecretCache, DbCredentials,
 * connection factory, rotation and scheduler of the process:
 *
 * - `credstage.secretsmanager.calls` (counter, `{call}`; `rpc.method`, `credstage.outcome`, `error.type`)
 *   and `credstage.secretsmanager.call.duration` (histogram, `s`);
 * - `credstage.cache.lookups` (`credstage.cache.result`: hit, miss, stale) and `credstage.cache.refreshes`;
 * - `credstage.login.duration` (histogram, `s`; `credstage.client`, `credstage.outcome`: ok, rejected, error);
 * - `credstage.recovery.duration` (histogram, `s`; `credstage.outcome`, `credstage.recovery.source`);
 * - `credstage.documentdb.client.count` (UpDownCounter: MongoClients open) and `credstage.documentdb.client.switches`;
 * - `credstage.rotation.step.duration` (histogram, `s`; `credstage.rotation.step`, `credstage.outcome`)
 *   and one span per rotation step (`rotation createSecret`, ...), status ERROR when it failed;
 * - `credstage.scheduler.events` (`credstage.scheduler.event`).
 *
 * Every measurement has `credstage.secret.id`; no attribute ever holds a secret value.
 *
 * @example
 * ```ts
 * import { instrumentCredstage } from 'credstage/opentelemetry';
 *
 * const instrumentation = instrumentCredstage(); // the global providers of your OTel setup
 * // ... at shutdown:
 * instrumentation.stop();
 * ```
 */
export function instrumentCredstage(options: InstrumentCredstageOptions = {}): CredstageInstrumentation {
  if (!isPlainObject(options as unknown)) throw new InvalidOptionError('options', 'must be an object');
  refuseUnknownKeys('', options, OPTION_KEYS, 'instrumentCredstage');
  const meterProvider = checkProvider<MeterProvider>('meterProvider', options.meterProvider, 'getMeter') ?? metrics.getMeterProvider();
  const tracerProvider = checkProvider<TracerProvider>('tracerProvider', options.tracerProvider, 'getTracer') ?? trace.getTracerProvider();

  const record = new CredstageMetrics(meterProvider.getMeter(INSTRUMENTATION_SCOPE));
  const tracer = tracerProvider.getTracer(INSTRUMENTATION_SCOPE);
  const spans = new Map<RotationStepMessage, Span>();

  const plain: Array<[string, (message: unknown) => void]> = [
    [CHANNELS.cache, (m) => record.cache(m as never)],
    [CHANNELS.secretsManagerCall, (m) => record.secretsManagerCall(m as never)],
    [CHANNELS.login, (m) => record.login(m as never)],
    [CHANNELS.recovery, (m) => record.recovery(m as never)],
    [CHANNELS.documentDbClient, (m) => record.documentDbClient(m as never)],
    [CHANNELS.scheduler, (m) => record.scheduler(m as never)],
  ];
  const steps = tracingChannel<RotationStepMessage, RotationStepMessage>(CHANNELS.rotationStep);
  const stepHandlers = {
    start: (m: RotationStepMessage) => {
      spans.set(
        m,
        tracer.startSpan(`rotation ${m.step}`, {
          kind: SpanKind.INTERNAL,
          attributes: { [ATTRIBUTES.secretId]: m.secretId, [ATTRIBUTES.rotationStep]: m.step, 'credstage.rotation.token': m.clientRequestToken },
        }),
      );
    },
    asyncEnd: (m: RotationStepMessage) => {
      record.rotationStep(m);
      const span = spans.get(m);
      if (span === undefined) return;
      spans.delete(m);
      if (m.outcome !== undefined) span.setAttribute(ATTRIBUTES.outcome, m.outcome);
      if (m.outcome === 'failed') {
        // The code only: the error itself is credstage's, but a span exporter is not the place to test that.
        if (m.errorCode !== undefined) span.setAttribute(ATTRIBUTES.errorType, m.errorCode);
        span.setStatus({ code: SpanStatusCode.ERROR, message: m.errorCode ?? 'failed' });
      }
      span.end();
    },
  };

  for (const [name, handler] of plain) subscribe(name, handler);
  steps.subscribe(stepHandlers as never);
  let stopped = false;
  return Object.freeze({
    stop(): void {
      if (stopped) return;
      stopped = true;
      for (const [name, handler] of plain) unsubscribe(name, handler);
      steps.unsubscribe(stepHandlers as never);
      for (const span of spans.values()) span.end();
      spans.clear();
    },
  });
}
