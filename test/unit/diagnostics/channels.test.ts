import { subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CHANNELS,
  type DocumentDbClientMessage,
  type LoginMessage,
  type RecoveryMessage,
  type RotationStepMessage,
  type SchedulerMessage,
  type SecretsManagerCallMessage,
} from '../../../src/index.js';
import { RotationScheduler, type RotateFunction } from '../../../src/rotation/scheduler/scheduler.js';
import type { SchedulerEvent } from '../../../src/rotation/scheduler/types.js';
import { InMemorySecretsManager } from '../../../src/testing/index.js';
import { reachableStrings } from './reachable.js';
import { rotationUnderLoad } from './scenario.js';

interface Seen {
  channel: string;
  message: unknown;
  /** JSON.stringify and util.inspect of the message when it was published (a tracing context changes later). */
  texts: [string, string, string];
}

const TRACE_EVENTS = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const;
const PLAIN = [CHANNELS.cache, CHANNELS.secretsManagerCall, CHANNELS.login, CHANNELS.recovery, CHANNELS.documentDbClient, CHANNELS.scheduler];

/** Subscribes to every credstage channel (and every event of the tracing channel); returns what it saw and how to stop. */
function listenToEverything(): { seen: Seen[]; stop: () => void } {
  const seen: Seen[] = [];
  // The raw strings too: inspect escapes quotes inside objects and cuts long strings.
  const texts = (message: unknown): [string, string, string] => [
    JSON.stringify(message) ?? '',
    inspect(message, { depth: Infinity, showHidden: true, getters: true }),
    reachableStrings(message).join('\n'),
  ];
  const plain = PLAIN.map((name) => [name, (message: unknown) => seen.push({ channel: name, message, texts: texts(message) })] as const);
  for (const [name, fn] of plain) subscribe(name, fn);
  const steps = tracingChannel(CHANNELS.rotationStep);
  const handlers = Object.fromEntries(
    TRACE_EVENTS.map((event) => [event, (message: unknown) => seen.push({ channel: `${CHANNELS.rotationStep}:${event}`, message, texts: texts(message) })]),
  );
  steps.subscribe(handlers as never);
  return {
    seen,
    stop: () => {
      for (const [name, fn] of plain) unsubscribe(name, fn);
      steps.unsubscribe(handlers as never);
    },
  };
}

function of<T>(seen: Seen[], channel: string): T[] {
  return seen.filter((s) => s.channel === channel).map((s) => s.message as T);
}

describe('diagnostics channels', () => {
  let stop: (() => void) | undefined;
  afterEach(() => {
    stop?.();
    stop = undefined;
  });

  it('publish no password and no SecretString on any channel during a rotation under load (JSON.stringify and util.inspect of every message)', async () => {
    const listening = listenToEverything();
    stop = listening.stop;

    const result = await rotationUnderLoad({ rotations: 2, workers: 4 });

    const { seen } = listening;
    // Not vacuous: every channel the scenario touches carried messages.
    const channels = new Set(seen.map((s) => s.channel));
    for (const name of [CHANNELS.cache, CHANNELS.secretsManagerCall, CHANNELS.login, CHANNELS.recovery, CHANNELS.documentDbClient, `${CHANNELS.rotationStep}:start`, `${CHANNELS.rotationStep}:asyncEnd`]) {
      expect(channels, name).toContain(name);
    }
    expect(result.passwords).toHaveLength(3); // the first password and one per rotation
    const leaks = seen.flatMap((s) =>
      [...result.passwords, ...result.secretStrings].filter((value) => s.texts.some((text) => text.includes(value))).map(() => s.channel),
    );
    expect(leaks).toEqual([]);
    for (const s of seen) expect(s.texts.join('\n')).not.toMatch(/password"?\s*[:=]/i);
  });

  it('publish one message per Secrets Manager call, login, recovery, MongoClient and step, as counted independently', async () => {
    const listening = listenToEverything();
    stop = listening.stop;

    const result = await rotationUnderLoad({ rotations: 2, workers: 4 });

    const { seen } = listening;
    const calls = new Map<string, number>();
    for (const m of of<SecretsManagerCallMessage>(seen, CHANNELS.secretsManagerCall)) {
      const key = m.outcome === 'ok' ? `${m.api} ok` : `${m.api} error ${m.errorCode}`;
      calls.set(key, (calls.get(key) ?? 0) + 1);
    }
    expect(calls).toEqual(result.calls);

    const logins = result.events.filter((e) => e.type === 'login');
    expect(of<LoginMessage>(seen, CHANNELS.login)).toEqual(logins.map((e) => ({ ...e, client: 'documentdb' })));

    const recoveries = result.events.filter((e) => e.type === 'auth-recovery');
    expect(recoveries.length).toBeGreaterThan(0);
    expect(of<RecoveryMessage>(seen, CHANNELS.recovery).map((m) => [m.outcome, m.failedVersionId, m.versionId, m.recoveredFrom])).toEqual(
      recoveries.map((e) => ['recovered', e.failedVersionId, e.versionId, e.recoveredFrom]),
    );

    const clients = of<DocumentDbClientMessage>(seen, CHANNELS.documentDbClient);
    const switches = result.events.filter((e) => e.type === 'client-switch');
    expect(clients.filter((m) => m.type === 'switch')).toEqual(switches.map(({ type: _, ...rest }) => ({ ...rest, type: 'switch' })));
    expect(clients.filter((m) => m.type === 'open')).toHaveLength(result.clientStats.generation);
    expect(clients.filter((m) => m.type === 'closed')).toHaveLength(result.clientStats.generation); // all closed after close()

    const ended = of<RotationStepMessage>(seen, `${CHANNELS.rotationStep}:asyncEnd`);
    expect(ended.map((m) => [m.step, m.outcome, m.durationMs])).toEqual(result.steps.map((s) => [s.step, s.outcome, s.durationMs]));
    expect(of<RotationStepMessage>(seen, `${CHANNELS.rotationStep}:start`)).toHaveLength(result.steps.length);

    const lookups = seen.filter((s) => s.channel === CHANNELS.cache).map((s) => (s.message as { type: string }).type);
    expect(lookups.filter((t) => t === 'hit')).toHaveLength(result.cacheStats.hits);
    expect(lookups.filter((t) => t === 'miss')).toHaveLength(result.cacheStats.misses);
    expect(lookups.filter((t) => t === 'stale-served')).toHaveLength(result.cacheStats.staleServed);
  });

  it('publish a failed rotation step with its error code on the error and asyncEnd events', async () => {
    const listening = listenToEverything();
    stop = listening.stop;
    const sm = new InMemorySecretsManager();
    const { runRotationStep } = await import('../../../src/rotation/index.js');

    await expect(
      runRotationStep({ SecretId: 'missing/secret', ClientRequestToken: 'a'.repeat(36), Step: 'createSecret' }, { secretsManager: sm, selfHosted: true }),
    ).rejects.toThrow();

    const failed = of<RotationStepMessage>(listening.seen, `${CHANNELS.rotationStep}:asyncEnd`);
    expect(failed).toEqual([expect.objectContaining({ secretId: 'missing/secret', step: 'createSecret', outcome: 'failed', errorCode: expect.any(String), error: expect.any(Error) })]);
    expect(of(listening.seen, `${CHANNELS.rotationStep}:error`)).toHaveLength(1);
  });

  it('publish the scheduler decisions on credstage:scheduler: the same events onEvent receives', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const T0 = Date.parse('2026-11-01T00:00:00Z');
      vi.setSystemTime(T0);
      const listening = listenToEverything();
      stop = listening.stop;
      const sm = new InMemorySecretsManager({ clock: { now: () => Date.now() } });
      await sm.send({ name: 'CreateSecret', input: { Name: 'app/db', SecretString: 'v0' } });
      const given: unknown[] = [];
      const rotate: RotateFunction = async ({ secretId, clientRequestToken, secretsManager }) => {
        given.push(secretsManager);
        const current = await sm.send({ name: 'GetSecretValue', input: { SecretId: secretId, VersionStage: 'AWSCURRENT' } });
        await sm.send({ name: 'PutSecretValue', input: { SecretId: secretId, ClientRequestToken: clientRequestToken, SecretString: 'v1', VersionStages: ['AWSPENDING'] } });
        await sm.send({ name: 'UpdateSecretVersionStage', input: { SecretId: secretId, VersionStage: 'AWSCURRENT', MoveToVersionId: clientRequestToken, RemoveFromVersionId: current.VersionId } });
      };
      const events: SchedulerEvent[] = [];
      const scheduler = new RotationScheduler({ secrets: [{ secretId: 'app/db', schedule: 'rate(1 days)' }], secretsManager: sm, rotate, random: () => 0, onEvent: (e) => events.push(e) });

      vi.setSystemTime(T0 + 2 * 24 * 3_600_000);
      await scheduler.tick();
      await scheduler.stop();

      expect(events.map((e) => e.type)).toContain('rotation-succeeded');
      expect(given).toEqual([sm]); // a custom rotate function gets the client it was given, not a wrapper
      expect(given[0]).toBe(sm);
      expect(of<SchedulerMessage>(listening.seen, CHANNELS.scheduler)).toEqual(events);
      // The scheduler's own reads (DescribeSecret is skipped: the schedule is configured) are published too.
      expect(of<SecretsManagerCallMessage>(listening.seen, CHANNELS.secretsManagerCall).map((m) => m.api)).toContain('ListSecretVersionIds');
    } finally {
      vi.useRealTimers();
    }
  });

  it('leave the onEvent callbacks unchanged: the same events with and without a subscriber', async () => {
    const without = await rotationUnderLoad({ rotations: 1, workers: 1 });
    const listening = listenToEverything();
    stop = listening.stop;
    const withSubscribers = await rotationUnderLoad({ rotations: 1, workers: 1 });

    const shape = (events: typeof without.events) => [...new Set(events.map((e) => e.type))].sort();
    expect(shape(withSubscribers.events)).toEqual(shape(without.events));
    expect(withSubscribers.steps.map((s) => [s.step, s.outcome])).toEqual(without.steps.map((s) => [s.step, s.outcome]));
  });
});
