/**
 * `credstage/opentelemetry`: turns what credstage publishes on `node:diagnostics_channel`
 * (`CHANNELS` of `credstage`) into OpenTelemetry metrics and rotation-step spans. Needs the
 * optional peer `@opentelemetry/api`; nothing else of credstage loads it.
 */
import { subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel';
import { diag, metrics, SpanKind, SpanStatusCode, trace, type Meter, type MeterProvider, type Span, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { CHANNELS, type RotationStepMessage } from '../diagnostics/channels.js';
import { openDocumentDbClients } from '../diagnostics/publish.js';
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
  /**
   * Unsubscribes from every channel; spans of steps still running are ended. Safe to call twice.
   * When another handle records to the same provider, that one keeps recording until it stops.
   */
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
 * The bridge never throws into credstage: what a meter or tracer throws is reported through
 * OpenTelemetry's `diag` logger and dropped (diagnostics_channel would rethrow it as an uncaught
 * exception). Calling it again with the same provider records each measurement once, not twice.
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

  const releaseMetrics = acquire(METRIC_SUBSCRIPTIONS, meterProvider, () => subscribeMetrics(meterProvider.getMeter(INSTRUMENTATION_SCOPE)));
  let releaseSpans: () => void;
  try {
    releaseSpans = acquire(SPAN_SUBSCRIPTIONS, tracerProvider, () => subscribeSpans(tracerProvider.getTracer(INSTRUMENTATION_SCOPE)));
  } catch (err) {
    releaseMetrics();
    throw err;
  }
  let stopped = false;
  return Object.freeze({
    stop(): void {
      if (stopped) return;
      stopped = true;
      releaseMetrics();
      releaseSpans();
    },
  });
}

// ---- One subscription per provider, shared by the handles that record to it ----------------

interface Shared {
  handles: number;
  unsubscribe: () => void;
}

// Keyed by provider: a second instrumentCredstage() on the same provider must not count twice.
const METRIC_SUBSCRIPTIONS = new WeakMap<MeterProvider, Shared>();
const SPAN_SUBSCRIPTIONS = new WeakMap<TracerProvider, Shared>();

/** Joins (or starts) the subscription of `key`; returns how to leave it (the last one out unsubscribes). */
function acquire<K extends object>(registry: WeakMap<K, Shared>, key: K, subscribe: () => () => void): () => void {
  let shared = registry.get(key);
  if (shared === undefined) {
    shared = { handles: 0, unsubscribe: subscribe() };
    registry.set(key, shared);
  }
  const joined = shared;
  joined.handles++;
  return () => {
    if (--joined.handles > 0) return;
    registry.delete(key);
    joined.unsubscribe();
  };
}

/**
 * `handler`, never throwing: diagnostics_channel rethrows what a subscriber throws on
 * process.nextTick, where it crashes an app without an uncaughtException listener. A broken
 * meter or exporter costs its measurements, not the app; OpenTelemetry's `diag` says why.
 */
function guarded<M>(what: string, handler: (message: M) => void): (message: M) => void {
  return (message) => {
    try {
      handler(message);
    } catch (err) {
      try {
        diag.error(`credstage: recording ${what} failed`, err);
      } catch {
        // A diag logger that throws too: nothing left to tell.
      }
    }
  };
}

function subscribeMetrics(meter: Meter): () => void {
  const record = new CredstageMetrics(meter, openDocumentDbClients);
  const plain: Array<[string, (message: unknown) => void]> = [
    [CHANNELS.cache, guarded(CHANNELS.cache, (m) => record.cache(m as never))],
    [CHANNELS.secretsManagerCall, guarded(CHANNELS.secretsManagerCall, (m) => record.secretsManagerCall(m as never))],
    [CHANNELS.login, guarded(CHANNELS.login, (m) => record.login(m as never))],
    [CHANNELS.recovery, guarded(CHANNELS.recovery, (m) => record.recovery(m as never))],
    [CHANNELS.documentDbClient, guarded(CHANNELS.documentDbClient, (m) => record.documentDbClient(m as never))],
    [CHANNELS.scheduler, guarded(CHANNELS.scheduler, (m) => record.scheduler(m as never))],
  ];
  const steps = tracingChannel<RotationStepMessage, RotationStepMessage>(CHANNELS.rotationStep);
  const stepHandlers = { asyncEnd: guarded(CHANNELS.rotationStep, (m: RotationStepMessage) => record.rotationStep(m)) };
  for (const [name, handler] of plain) subscribe(name, handler);
  steps.subscribe(stepHandlers as never);
  return () => {
    for (const [name, handler] of plain) unsubscribe(name, handler);
    steps.unsubscribe(stepHandlers as never);
    guarded('the open MongoClients', () => record.stop())(undefined);
  };
}

function subscribeSpans(tracer: Tracer): () => void {
  const spans = new Map<RotationStepMessage, Span>();
  const steps = tracingChannel<RotationStepMessage, RotationStepMessage>(CHANNELS.rotationStep);
  const stepHandlers = {
    start: guarded(`${CHANNELS.rotationStep} spans`, (m: RotationStepMessage) => {
      spans.set(
        m,
        tracer.startSpan(`rotation ${m.step}`, {
          kind: SpanKind.INTERNAL,
          attributes: { [ATTRIBUTES.secretId]: m.secretId, [ATTRIBUTES.rotationStep]: m.step, 'credstage.rotation.token': m.clientRequestToken },
        }),
      );
    }),
    asyncEnd: guarded(`${CHANNELS.rotationStep} spans`, (m: RotationStepMessage) => {
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
    }),
  };
  steps.subscribe(stepHandlers as never);
  return () => {
    steps.unsubscribe(stepHandlers as never);
    for (const span of spans.values()) guarded('a span', () => span.end())(undefined);
    spans.clear();
  };
}
