import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CredstageError, RotationError, RotationInProgressError } from '../../../../src/errors.js';
import { rotationToken } from '../../../../src/rotation/scheduler/plan.js';
import { RotationScheduler, type RotateFunction, type SchedulerEvent } from '../../../../src/rotation/scheduler/scheduler.js';
import { InMemorySecretsManager } from '../../../../src/testing/index.js';
import { fakeEngine } from './fixtures.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const ID = 'Applications/MyApp/Redshift';

interface SetupOptions {
  schedule?: string;
  window?: string;
  random?: () => number;
  rotate?: RotateFunction;
  /** Builds the rotate function around the working fake engine. */
  wrap?: (engine: ReturnType<typeof fakeEngine>) => RotateFunction;
}

async function setup(options: SetupOptions = {}) {
  const sm = new InMemorySecretsManager({ clock: { now: () => Date.now() } });
  await sm.send({ name: 'CreateSecret', input: { Name: ID, SecretString: 'v0' } });
  const engine = fakeEngine(sm);
  const events: SchedulerEvent[] = [];
  const scheduler = new RotationScheduler({
    secrets: [{ secretId: ID, schedule: options.schedule ?? 'rate(1 days)', window: options.window ?? '2h' }],
    secretsManager: sm,
    rotate: options.rotate ?? options.wrap?.(engine) ?? engine.rotate,
    random: options.random ?? (() => 0),
    backoff: { baseMs: 1_000, factor: 2, maxMs: 60_000 },
    onEvent: (event) => events.push(event),
  });
  return { sm, scheduler, engine, events };
}

describe('RotationScheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    vi.setSystemTime(T0);
  });
  afterEach(() => vi.useRealTimers());

  it("passes on a step's warning (a new password sent without TLS) in its step event", async () => {
    const { scheduler, events } = await setup({
      wrap: (engine) => async (request) => {
        request.onStep?.({ step: 'setSecret', durationMs: 3, warning: 'the statement setting the new password goes without TLS' });
        return engine.rotate(request);
      },
    });
    vi.setSystemTime(T0 + DAY);

    await scheduler.tick();
    await scheduler.idle();

    expect(events.filter((e) => e.type === 'step')).toEqual([
      expect.objectContaining({ step: 'setSecret', warning: 'the statement setting the new password goes without TLS' }),
    ]);
  });

  it('does not rotate before the due time and rotates once when it comes', async () => {
    const { scheduler, engine } = await setup();
    vi.setSystemTime(T0 + DAY - 1);
    await scheduler.tick();
    await scheduler.idle();
    expect(engine.calls).toHaveLength(0);
    expect(scheduler.status()[0]!.state).toBe('waiting');

    vi.setSystemTime(T0 + DAY);
    await scheduler.tick();
    await scheduler.idle();
    await scheduler.tick();
    await scheduler.idle();
    expect(engine.calls.map((c) => c.token)).toEqual([rotationToken(ID, T0 + DAY)]);
    expect(scheduler.status()[0]).toMatchObject({ state: 'waiting', attempts: 0 });
    expect(scheduler.status()[0]!.plan!.dueAt.getTime()).toBe(T0 + 2 * DAY);
  });

  it('starts at a jittered point inside the first half of the window', async () => {
    const { scheduler, engine } = await setup({ window: '4h', random: () => 0.75 });
    const startAt = T0 + DAY + 0.75 * 2 * HOUR;
    vi.setSystemTime(startAt - 1);
    const [plan] = await scheduler.plan();
    expect(plan!.startAt.getTime()).toBe(startAt);
    expect(plan!.windowEndsAt.getTime()).toBe(T0 + DAY + 4 * HOUR);
    await scheduler.tick();
    expect(engine.calls).toHaveLength(0);
    vi.setSystemTime(startAt);
    await scheduler.tick();
    await scheduler.idle();
    expect(engine.calls).toHaveLength(1);
  });

  it('keeps the start time of a due date across checks (one jitter draw per due time)', async () => {
    let draws = 0;
    const { scheduler } = await setup({ random: () => (draws++ % 2 === 0 ? 0.1 : 0.9) });
    const first = (await scheduler.plan())[0]!.startAt.getTime();
    const second = (await scheduler.plan())[0]!.startAt.getTime();
    expect(second).toBe(first);
    expect(draws).toBe(1);
  });

  it('follows cron schedules in AWS syntax (weekday 2 is Monday)', async () => {
    // 2026-11-01 is a Sunday: the next Monday 08:00 UTC is 2026-11-02T08:00Z.
    const { scheduler } = await setup({ schedule: 'cron(0 8 ? * 2 *)' });
    const [plan] = await scheduler.plan();
    expect(plan!.dueAt.toISOString()).toBe('2026-11-02T08:00:00.000Z');
  });

  it("reads the schedule from the secret's RotationRules when none is configured", async () => {
    const sm = new InMemorySecretsManager({ clock: { now: () => Date.now() } });
    await sm.send({ name: 'CreateSecret', input: { Name: ID, SecretString: 'v0' } });
    await sm.send({ name: 'RotateSecret', input: { SecretId: ID, RotationRules: { AutomaticallyAfterDays: 30, Duration: '3h' } } });
    const scheduler = new RotationScheduler({ secrets: [{ secretId: ID }], secretsManager: sm, rotate: fakeEngine(sm).rotate, random: () => 0 });
    const [plan] = await scheduler.plan();
    expect(plan!.schedule).toBe('rate(30 days)');
    expect(plan!.dueAt.getTime()).toBe(T0 + 30 * DAY);
    expect(plan!.windowEndsAt.getTime()).toBe(T0 + 30 * DAY + 3 * HOUR);
  });

  it("lets a configured window override the RotationRules' Duration", async () => {
    const sm = new InMemorySecretsManager({ clock: { now: () => Date.now() } });
    await sm.send({ name: 'CreateSecret', input: { Name: ID, SecretString: 'v0' } });
    await sm.send({ name: 'RotateSecret', input: { SecretId: ID, RotationRules: { AutomaticallyAfterDays: 30, Duration: '3h' } } });
    const scheduler = new RotationScheduler({ secrets: [{ secretId: ID, window: '6h' }], secretsManager: sm, rotate: fakeEngine(sm).rotate, random: () => 0 });
    const [plan] = await scheduler.plan();
    expect(plan!.windowEndsAt.getTime()).toBe(T0 + 30 * DAY + 6 * HOUR);
  });

  it('retries a failed rotation with growing jittered delays and reports each attempt', async () => {
    let failures = 2;
    const attemptsAt: number[] = [];
    const flaky = (real: ReturnType<typeof fakeEngine>): RotateFunction => async (request) => {
      attemptsAt.push(Date.now());
      if (failures-- > 0) throw new RotationError({ secretId: ID, step: 'setSecret', problem: 'database down', retryable: true });
      return real.rotate(request);
    };
    const { scheduler, events } = await setup({ wrap: flaky });
    vi.setSystemTime(T0 + DAY);
    await scheduler.tick();
    await vi.advanceTimersByTimeAsync(10_000);
    await scheduler.idle();
    expect(attemptsAt).toHaveLength(3);
    const gaps = [attemptsAt[1]! - attemptsAt[0]!, attemptsAt[2]! - attemptsAt[1]!];
    expect(gaps[0]).toBeGreaterThanOrEqual(1_000);
    expect(gaps[0]).toBeLessThan(2_000);
    expect(gaps[1]).toBeGreaterThanOrEqual(2_000);
    expect(gaps[1]).toBeLessThan(4_000);
    expect(events.filter((e) => e.type === 'retry').map((e) => e.attempt)).toEqual([1, 2]);
    expect(events.at(-1)!.type).toBe('rotation-succeeded');
  });

  it('reports a rotation still failing when its window closes as overdue, and backs off', async () => {
    const failing: RotateFunction = async () => {
      throw new RotationError({ secretId: ID, step: 'testSecret', problem: 'login failed', retryable: true });
    };
    const { scheduler, events } = await setup({ rotate: failing, window: '1h' });
    vi.setSystemTime(T0 + DAY);
    await scheduler.tick();
    await vi.advanceTimersByTimeAsync(HOUR + 1);
    await scheduler.idle();
    expect(scheduler.status()[0]).toMatchObject({ state: 'failed', overdue: true });
    expect(events.some((e) => e.type === 'overdue')).toBe(true);
    expect(events.find((e) => e.type === 'rotation-failed')!.error!.code).toBe('ERR_ROTATION_FAILED');

    const attempts = scheduler.status()[0]!.attempts;
    await scheduler.tick(); // within notBefore: no new attempt
    await scheduler.idle();
    expect(scheduler.status()[0]!.attempts).toBe(attempts);
  });

  it('leaves a young AWSPENDING of another process alone and resumes an old one with its token', async () => {
    const { sm, scheduler, engine } = await setup();
    vi.setSystemTime(T0 + DAY);
    await sm.send({ name: 'PutSecretValue', input: { SecretId: ID, ClientRequestToken: 'other-token', SecretString: 'p', VersionStages: ['AWSPENDING'] } });
    await scheduler.tick();
    await scheduler.idle();
    expect(engine.calls).toHaveLength(0);
    expect(scheduler.status()[0]!.state).toBe('in-progress-elsewhere');

    vi.setSystemTime(T0 + DAY + 16 * 60_000);
    await scheduler.tick();
    await scheduler.idle();
    expect(engine.calls.map((c) => c.token)).toEqual(['other-token']);
  });

  it('takes the next token of the due time when a rotation under the first was abandoned (its version left without a stage)', async () => {
    const { sm, scheduler, engine } = await setup();
    const abandoned = rotationToken(ID, T0 + DAY);
    await sm.send({ name: 'PutSecretValue', input: { SecretId: ID, ClientRequestToken: abandoned, SecretString: 'x', VersionStages: ['AWSPENDING'] } });
    await sm.send({ name: 'UpdateSecretVersionStage', input: { SecretId: ID, VersionStage: 'AWSPENDING', RemoveFromVersionId: abandoned } });

    vi.setSystemTime(T0 + DAY);
    await scheduler.tick();
    await scheduler.idle();

    expect(engine.calls.map((c) => c.token)).toEqual([rotationToken(ID, T0 + DAY, 1)]);
    expect(rotationToken(ID, T0 + DAY, 1)).not.toBe(abandoned);
  });

  it('treats RotationInProgressError as another replica rotating, not as a failure', async () => {
    const racing: RotateFunction = async () => {
      throw new RotationInProgressError({ secretId: ID, pendingVersionId: 'x' });
    };
    const { scheduler, events } = await setup({ rotate: racing });
    vi.setSystemTime(T0 + DAY);
    await scheduler.tick();
    await scheduler.idle();
    expect(scheduler.status()[0]).toMatchObject({ state: 'in-progress-elsewhere', attempts: 0 });
    expect(events.map((e) => e.type)).toEqual(['rotation-started', 'skipped']);
  });

  it('does not retry permanent errors', async () => {
    let calls = 0;
    const broken: RotateFunction = async () => {
      calls++;
      throw new CredstageError('ERR_INVALID_SECRET_FORMAT', 'bad secret', false);
    };
    const { scheduler } = await setup({ rotate: broken });
    vi.setSystemTime(T0 + DAY);
    await scheduler.tick();
    await vi.advanceTimersByTimeAsync(30_000);
    await scheduler.idle();
    expect(calls).toBe(1);
    expect(scheduler.status()[0]!.state).toBe('failed');
  });

  it('stop() aborts the running rotation at its next step boundary and is safe twice', async () => {
    let seenSignal: AbortSignal | undefined;
    const slow: RotateFunction = async ({ signal }) => {
      seenSignal = signal;
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      if (signal.aborted) throw new RotationError({ secretId: ID, step: 'setSecret', problem: 'stopped' });
    };
    const { scheduler, events } = await setup({ rotate: slow });
    vi.setSystemTime(T0 + DAY);
    scheduler.start();
    await vi.advanceTimersByTimeAsync(10);
    const stopped = scheduler.stop();
    expect(seenSignal!.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(5_000);
    await stopped;
    await scheduler.stop();
    expect(events.some((e) => e.type === 'rotation-failed')).toBe(false);
  });

  it("passes engine options to each rotation, a secret's own over the scheduler's", async () => {
    const seen: Array<Record<string, unknown>> = [];
    const sm = new InMemorySecretsManager({ clock: { now: () => Date.now() } });
    await sm.send({ name: 'CreateSecret', input: { Name: ID, SecretString: 'v0' } });
    const engine = fakeEngine(sm);
    const scheduler = new RotationScheduler({
      secrets: [{ secretId: ID, schedule: 'rate(1 days)', rotation: { tlsCAFile: '/etc/ssl/global-bundle.pem' } }],
      rotation: { tlsCAFile: '/etc/ssl/other.pem', connectTimeoutMs: 2_000 },
      secretsManager: sm,
      random: () => 0,
      rotate: async (request) => {
        seen.push({ tlsCAFile: request.tlsCAFile, connectTimeoutMs: request.connectTimeoutMs });
        return engine.rotate(request);
      },
    });
    vi.setSystemTime(T0 + DAY);
    await scheduler.tick();
    await scheduler.idle();
    expect(seen).toEqual([{ tlsCAFile: '/etc/ssl/global-bundle.pem', connectTimeoutMs: 2_000 }]);
  });

  it('rejects bad options naming the field', () => {
    const sm = new InMemorySecretsManager();
    expect(() => new RotationScheduler({ secrets: [], secretsManager: sm })).toThrow(/"secrets"/);
    expect(() => new RotationScheduler({ secrets: [{ secretId: ID, schedule: 'rate(2 hours)' }], secretsManager: sm })).toThrow(/"secrets\[0\]\.schedule"/);
    expect(() => new RotationScheduler({ secrets: [{ secretId: ID, schedule: 'rate(1 days)', window: '90m' }], secretsManager: sm })).toThrow(/"secrets\[0\]\.window"/);
    expect(() => new RotationScheduler({ secrets: [{ secretId: '' }], secretsManager: sm })).toThrow(/secrets\[0\]\.secretId/);
  });
});
