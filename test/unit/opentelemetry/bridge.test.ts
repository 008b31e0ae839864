import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../src/errors.js';
import { instrumentCredstage, METRIC_NAMES, type CredstageInstrumentation } from '../../../src/opentelemetry/index.js';
import { formatPoints, otelHarness, tally, type OtelHarness, type Point } from '../../support/otel.js';
import { rotationUnderLoad } from '../diagnostics/scenario.js';

function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) out.set(key(item), (out.get(key(item)) ?? 0) + 1);
  return out;
}

describe('instrumentCredstage (OpenTelemetry bridge)', () => {
  let otel: OtelHarness | undefined;
  let instrumentation: CredstageInstrumentation | undefined;
  afterEach(async () => {
    instrumentation?.stop();
    await otel?.shutdown();
    instrumentation = otel = undefined;
  });

  it('records exactly what happened during a scripted rotation under load: Secrets Manager calls, cache lookups, logins, recoveries, open MongoClients, switches, rotation steps and their spans', async () => {
    otel = otelHarness();
    instrumentation = instrumentCredstage({ meterProvider: otel.meterProvider, tracerProvider: otel.tracerProvider });
    let whileOpen: Map<string, Point[]> | undefined;

    const result = await rotationUnderLoad({ rotations: 2, workers: 4, beforeClose: async () => void (whileOpen = await otel!.collect()) });
    const after = await otel.collect();
    console.log(`metrics after 2 rotations under load (${result.ops.ok} inserts ok, ${result.ops.failed} failed):\n${formatPoints(after)}`);
    console.log(`${METRIC_NAMES.documentDbClientCount} before close(): ${JSON.stringify(whileOpen!.get(METRIC_NAMES.documentDbClientCount)?.map((p) => p.value))}`);

    // Secrets Manager: per API and outcome, what the fake answered.
    const calls = tally(after.get(METRIC_NAMES.secretsManagerCalls), ['rpc.method', 'credstage.outcome', 'error.type']);
    const expectedCalls = new Map([...result.calls].map(([key, n]) => [key.split(' ').length === 2 ? `${key} -` : key, n]));
    expect(calls).toEqual(expectedCalls);
    expect(tally(after.get(METRIC_NAMES.secretsManagerCallDuration), ['rpc.method', 'credstage.outcome', 'error.type'], 'count')).toEqual(expectedCalls);

    // The cache: lookups by result, fetches by outcome, as its own stats count them.
    const lookups = tally(after.get(METRIC_NAMES.cacheLookups), ['credstage.cache.result']);
    expect(lookups.get('hit') ?? 0).toBe(result.cacheStats.hits);
    expect(lookups.get('miss') ?? 0).toBe(result.cacheStats.misses);
    expect(lookups.get('stale') ?? 0).toBe(result.cacheStats.staleServed);
    const refreshes = tally(after.get(METRIC_NAMES.cacheRefreshes), ['credstage.outcome']);
    expect((refreshes.get('ok') ?? 0) + (refreshes.get('error') ?? 0)).toBe(result.cacheStats.fetches);
    expect(refreshes.get('error') ?? 0).toBe(result.cacheStats.errors);

    // Logins and recoveries: per outcome / source, as onEvent saw them; durations summed exactly.
    const logins = result.events.filter((e) => e.type === 'login');
    expect(tally(after.get(METRIC_NAMES.loginDuration), ['credstage.outcome'], 'count')).toEqual(countBy(logins, (e) => e.outcome));
    expect(tally(after.get(METRIC_NAMES.loginDuration), [], 'sum').get('')).toBeCloseTo(logins.reduce((s, e) => s + e.durationMs / 1000, 0), 9);
    expect(logins).toHaveLength(result.clientStats.generation); // one per MongoClient built
    expect(logins.filter((e) => e.outcome === 'rejected')).toHaveLength(2); // the late clients' first logins
    const recoveries = result.events.filter((e) => e.type === 'auth-recovery');
    expect(tally(after.get(METRIC_NAMES.recoveryDuration), ['credstage.outcome', 'credstage.recovery.source'], 'count')).toEqual(
      countBy(recoveries, (e) => `recovered ${e.recoveredFrom}`),
    );

    // MongoClients: open while the client ran, none after close(); switches by reason.
    expect(tally(whileOpen!.get(METRIC_NAMES.documentDbClientCount), []).get('')).toBe(result.openBeforeClose);
    expect(tally(after.get(METRIC_NAMES.documentDbClientCount), []).get('')).toBe(0);
    const switches = tally(after.get(METRIC_NAMES.documentDbClientSwitches), ['credstage.documentdb.switch.reason']);
    expect(switches.get('auth-failure') ?? 0).toBe(result.clientStats.switchesAfterAuthFailure);
    expect(switches.get('current-changed') ?? 0).toBe(result.clientStats.switchesToNewCurrent);
    expect(result.clientStats.switchesAfterAuthFailure).toBeGreaterThan(0);

    // Rotation steps: one measurement and one span per step report, with the report's duration.
    expect(tally(after.get(METRIC_NAMES.rotationStepDuration), ['credstage.rotation.step', 'credstage.outcome'], 'count')).toEqual(
      countBy(result.steps, (s) => `${s.step} ${s.outcome}`),
    );
    expect(tally(after.get(METRIC_NAMES.rotationStepDuration), [], 'sum').get('')).toBeCloseTo(result.steps.reduce((s, r) => s + r.durationMs / 1000, 0), 9);
    const spans = otel.spans();
    expect(spans.map((s) => s.name)).toEqual(result.steps.map((s) => `rotation ${s.step}`));
    expect(spans.every((s) => s.attributes['credstage.outcome'] === 'done' && s.status.code !== 2)).toBe(true);
  });

  it('marks the span of a failed step as an error with its code, and counts the step as failed', async () => {
    otel = otelHarness();
    instrumentation = instrumentCredstage({ meterProvider: otel.meterProvider, tracerProvider: otel.tracerProvider });
    const { runRotationStep } = await import('../../../src/rotation/index.js');
    const { InMemorySecretsManager } = await import('../../../src/testing/index.js');

    await expect(
      runRotationStep({ SecretId: 'missing/secret', ClientRequestToken: 'b'.repeat(36), Step: 'createSecret' }, { secretsManager: new InMemorySecretsManager(), selfHosted: true }),
    ).rejects.toThrow();

    const [span] = otel.spans();
    expect(span?.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(span?.attributes['error.type']).toEqual(expect.any(String));
    const steps = tally((await otel.collect()).get(METRIC_NAMES.rotationStepDuration), ['credstage.rotation.step', 'credstage.outcome'], 'count');
    expect(steps).toEqual(new Map([['createSecret failed', 1]]));
  });

  it('records nothing once stopped, and stop() is safe to call twice', async () => {
    otel = otelHarness();
    instrumentation = instrumentCredstage({ meterProvider: otel.meterProvider, tracerProvider: otel.tracerProvider });
    instrumentation.stop();
    instrumentation.stop();

    await rotationUnderLoad({ rotations: 1, workers: 1 });

    const points = await otel.collect();
    expect([...points.values()].flat()).toEqual([]);
    expect(otel.spans()).toEqual([]);
  });

  it('refuses an unknown option and a provider without its method, naming the field', () => {
    expect(() => instrumentCredstage({ meterProvder: {} } as never)).toThrow(InvalidOptionError);
    expect(() => instrumentCredstage({ meterProvider: {} as never })).toThrow(/meterProvider/);
    expect(() => instrumentCredstage({ tracerProvider: {} as never })).toThrow(/tracerProvider/);
  });
});
