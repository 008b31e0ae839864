import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { Meter, MeterProvider, TracerProvider } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretCache } from '../../../src/cache/secret-cache.js';
import { instrumentCredstage, METRIC_NAMES, type CredstageInstrumentation } from '../../../src/opentelemetry/index.js';
import { runRotationStep } from '../../../src/rotation/index.js';
import { InMemorySecretsManager } from '../../../src/testing/index.js';
import { otelHarness, tally, type OtelHarness } from '../../support/otel.js';
import { rotationUnderLoad } from '../diagnostics/scenario.js';

/**
 * Runs `work` with the process's uncaughtException listeners (vitest's) replaced by one that
 * collects: diagnostics_channel rethrows a subscriber's exception on process.nextTick, which
 * would crash an app that has no such listener.
 */
async function uncaughtDuring(work: () => Promise<void>): Promise<unknown[]> {
  const saved = process.listeners('uncaughtException');
  const caught: unknown[] = [];
  const collect = (err: unknown): void => void caught.push(err);
  process.removeAllListeners('uncaughtException');
  process.on('uncaughtException', collect);
  try {
    await work();
    // Let every nextTick and immediate the work left behind run.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('uncaughtException', collect);
    for (const listener of saved) process.on('uncaughtException', listener);
  }
  return caught;
}

const boom = (): never => {
  throw new Error('broken exporter');
};

/** A MeterProvider whose every instrument throws when it records, as a misconfigured SDK might. */
const throwingMeterProvider: MeterProvider = {
  getMeter: () =>
    new Proxy({} as Meter, {
      get: () => () => ({ add: boom, record: boom, addCallback: () => undefined, removeCallback: boom }),
    }),
};
const throwingTracerProvider: TracerProvider = { getTracer: () => ({ startSpan: boom, startActiveSpan: boom }) as never };

describe('instrumentCredstage robustness', () => {
  let otel: OtelHarness | undefined;
  const installed: CredstageInstrumentation[] = [];
  afterEach(async () => {
    for (const i of installed.splice(0)) i.stop();
    await otel?.shutdown();
    otel = undefined;
  });

  it('never crashes the app when the meter or tracer throws: no uncaught exception while credstage works', async () => {
    installed.push(instrumentCredstage({ meterProvider: throwingMeterProvider, tracerProvider: throwingTracerProvider }));
    const sm = new InMemorySecretsManager();
    await sm.send(new CreateSecretCommand({ Name: 'app/plain', SecretString: 'v0' }));

    const caught = await uncaughtDuring(async () => {
      const cache = new SecretCache({ secretsManager: sm });
      await cache.getSecretString('app/plain');
      await cache.getSecretString('app/plain');
      await cache.close();
      await expect(
        runRotationStep({ SecretId: 'missing/secret', ClientRequestToken: 'c'.repeat(36), Step: 'createSecret' }, { secretsManager: sm, selfHosted: true }),
      ).rejects.toThrow();
    });

    expect(caught).toEqual([]);
  });

  it('counts the open MongoClients when installed after they were opened: never below zero, zero once closed', async () => {
    otel = otelHarness();
    let whileOpen: number | undefined;
    const result = await rotationUnderLoad({
      rotations: 1,
      workers: 1,
      beforeClose: async () => {
        installed.push(instrumentCredstage({ meterProvider: otel!.meterProvider, tracerProvider: otel!.tracerProvider }));
        whileOpen = tally((await otel!.collect()).get(METRIC_NAMES.documentDbClientCount), []).get('');
      },
    });
    const after = tally((await otel.collect()).get(METRIC_NAMES.documentDbClientCount), []).get('');

    expect(result.openBeforeClose).toBeGreaterThan(0);
    expect(whileOpen).toBe(result.openBeforeClose);
    expect(after).toBe(0);
  });

  it('records each measurement once when instrumentCredstage is called twice with the same providers', async () => {
    otel = otelHarness();
    installed.push(instrumentCredstage({ meterProvider: otel.meterProvider, tracerProvider: otel.tracerProvider }));
    installed.push(instrumentCredstage({ meterProvider: otel.meterProvider, tracerProvider: otel.tracerProvider }));
    const sm = new InMemorySecretsManager();
    await sm.send(new CreateSecretCommand({ Name: 'app/plain', SecretString: 'v0' }));
    const cache = new SecretCache({ secretsManager: sm });
    await cache.getSecretString('app/plain');
    await cache.close();

    const calls = tally((await otel.collect()).get(METRIC_NAMES.secretsManagerCalls), ['rpc.method', 'credstage.outcome']);
    expect(calls).toEqual(new Map([['GetSecretValue ok', 1]]));
    expect(otel.spans()).toEqual([]);
  });

  it('keeps recording for the other handle when one of two handles is stopped, and stops when both are', async () => {
    otel = otelHarness();
    const first = instrumentCredstage({ meterProvider: otel.meterProvider, tracerProvider: otel.tracerProvider });
    const second = instrumentCredstage({ meterProvider: otel.meterProvider, tracerProvider: otel.tracerProvider });
    installed.push(first, second);
    const sm = new InMemorySecretsManager();
    await sm.send(new CreateSecretCommand({ Name: 'app/plain', SecretString: 'v0' }));
    const fetchOnce = async (): Promise<void> => {
      const cache = new SecretCache({ secretsManager: sm });
      await cache.getSecretString('app/plain');
      await cache.close();
    };

    first.stop();
    await fetchOnce();
    second.stop();
    await fetchOnce();

    const calls = tally((await otel.collect()).get(METRIC_NAMES.secretsManagerCalls), ['rpc.method']);
    expect(calls).toEqual(new Map([['GetSecretValue', 1]]));
  });
});
