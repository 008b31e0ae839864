import { subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel';
import { inspect } from 'node:util';
import { GetSecretValueCommand, ListSecretVersionIdsCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../../src/index.js';
import { instrumentCredstage, METRIC_NAMES } from '../../../src/opentelemetry/index.js';
import { getRedshiftPool, type RedshiftEvent } from '../../../src/redshift/index.js';
import { motoClient } from '../../support/moto.js';
import { rotationsUnderLoad } from '../../support/orm-rotation.js';
import { formatPoints, otelHarness, tally } from '../../support/otel.js';
import { rotatableSecret } from '../rotation/support.js';

const ROTATIONS = 2;

/** A moto client whose middleware counts every call by API and outcome (`GetSecretValue ok`, `GetSecretValue error ResourceNotFoundException`). */
function countingClient(): { sm: SecretsManagerClient; calls: Map<string, number> } {
  const sm = motoClient({ maxAttempts: 1 });
  const calls = new Map<string, number>();
  const count = (key: string): void => void calls.set(key, (calls.get(key) ?? 0) + 1);
  sm.middlewareStack.add(
    (next, context) => async (args) => {
      const api = String(context.commandName).replace(/Command$/, '');
      try {
        const out = await next(args);
        count(`${api} ok -`);
        return out;
      } catch (err) {
        count(`${api} error ${(err as { name: string }).name}`);
        throw err;
      }
    },
    { step: 'initialize', name: 'credstageOtelTestCounter' },
  );
  return { sm, calls };
}

/** Every message of every credstage channel, as JSON and util.inspect text at the time it was published. */
function recordAllChannels(): { texts: string[]; stop: () => void } {
  const texts: string[] = [];
  const keep = (message: unknown): void => void texts.push(`${JSON.stringify(message)}\n${inspect(message, { depth: Infinity, showHidden: true })}`);
  const plain = [CHANNELS.cache, CHANNELS.secretsManagerCall, CHANNELS.login, CHANNELS.recovery, CHANNELS.documentDbClient, CHANNELS.scheduler];
  for (const name of plain) subscribe(name, keep);
  const handlers = { start: keep, end: keep, asyncStart: keep, asyncEnd: keep, error: keep };
  tracingChannel(CHANNELS.rotationStep).subscribe(handlers as never);
  return {
    texts,
    stop: () => {
      for (const name of plain) unsubscribe(name, keep);
      tracingChannel(CHANNELS.rotationStep).unsubscribe(handlers as never);
    },
  };
}

describe('credstage/opentelemetry against moto and PostgreSQL', () => {
  let setupClient: SecretsManagerClient;
  beforeAll(() => {
    setupClient = motoClient({ maxAttempts: 3 });
  });
  afterAll(() => setupClient.destroy());

  it(`records exactly the Secrets Manager calls, logins, recoveries and rotation steps of ${ROTATIONS} engine rotations under pool load, and no channel message holds a password`, async () => {
    const { secretId } = await rotatableSecret(setupClient, 'postgres', 'single-user');
    const { sm, calls } = countingClient();
    const otel = otelHarness();
    const instrumentation = instrumentCredstage({ meterProvider: otel.meterProvider, tracerProvider: otel.tracerProvider });
    const channels = recordAllChannels();
    const events: RedshiftEvent[] = [];
    // Connections live 0.3 s at most: new logins keep happening, also inside the windows.
    const pool = getRedshiftPool({ secretId, secretsManager: sm, poolConfig: { max: 4, maxLifetimeSeconds: 0.3, idleTimeoutMillis: 100 }, onEvent: (e) => events.push(e) });
    let result;
    try {
      result = await rotationsUnderLoad({
        client: sm,
        secretId,
        strategies: Array.from({ length: ROTATIONS }, () => 'single-user' as const),
        op: () => pool.query('select 1'),
        concurrency: 3,
        pauseMs: 600,
        maxDurationMs: 60_000,
      });
    } finally {
      await pool.end();
      channels.stop();
    }
    const points = await otel.collect();
    const spans = otel.spans();
    instrumentation.stop();
    await otel.shutdown();
    console.log(`moto + PostgreSQL, ${ROTATIONS} rotations under load (${result.ok} queries ok, ${result.failed} failed):\n${formatPoints(points)}`);

    expect(result.failed).toBe(0);
    // Secrets Manager: what the SDK middleware saw, call by call.
    expect(tally(points.get(METRIC_NAMES.secretsManagerCalls), ['rpc.method', 'credstage.outcome', 'error.type'])).toEqual(calls);
    // Logins and recoveries: as onEvent reported them.
    const logins = events.filter((e) => e.type === 'login');
    const byOutcome = new Map<string, number>();
    for (const e of logins) byOutcome.set(e.outcome, (byOutcome.get(e.outcome) ?? 0) + 1);
    expect(tally(points.get(METRIC_NAMES.loginDuration), ['credstage.outcome'], 'count')).toEqual(byOutcome);
    expect(byOutcome.get('rejected') ?? 0).toBeGreaterThan(0); // the windows were really exercised
    const recoveries = events.filter((e) => e.type === 'auth-recovery');
    const bySource = new Map<string, number>();
    for (const e of recoveries) bySource.set(`recovered ${e.recoveredFrom}`, (bySource.get(`recovered ${e.recoveredFrom}`) ?? 0) + 1);
    expect(tally(points.get(METRIC_NAMES.recoveryDuration), ['credstage.outcome', 'credstage.recovery.source'], 'count')).toEqual(bySource);
    // Rotation steps: four per rotation, each done, each a span.
    const expectedSteps = new Map(['createSecret', 'setSecret', 'testSecret', 'finishSecret'].map((step) => [`${step} done`, ROTATIONS]));
    expect(tally(points.get(METRIC_NAMES.rotationStepDuration), ['credstage.rotation.step', 'credstage.outcome'], 'count')).toEqual(expectedSteps);
    expect(spans).toHaveLength(4 * ROTATIONS);

    // No message on any channel held a password or a SecretString of any version.
    const listed = await setupClient.send(new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: true }));
    const values: string[] = [];
    for (const { VersionId } of listed.Versions ?? []) {
      const text = (await setupClient.send(new GetSecretValueCommand({ SecretId: secretId, VersionId }))).SecretString as string;
      const password = (JSON.parse(text) as { password: string }).password;
      // The passwords hold quotes: look for them as JSON escapes them too.
      values.push(text, password, JSON.stringify(password).slice(1, -1));
    }
    expect(values).toHaveLength(3 * (ROTATIONS + 1));
    expect(channels.texts.length).toBeGreaterThan(0);
    expect(channels.texts.filter((text) => values.some((v) => text.includes(v)))).toEqual([]);
  });
});
