import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RotationError } from '../../../../src/errors.js';
import { rotationToken } from '../../../../src/rotation/scheduler/plan.js';
import { RotationScheduler, type RotateFunction, type RotationSchedulerOptions, type SchedulerEvent } from '../../../../src/rotation/scheduler/scheduler.js';
import { InMemorySecretsManager } from '../../../../src/testing/index.js';
import { fakeEngine } from './fixtures.js';

const DAY = 24 * 3_600_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const ID = 'Applications/MyApp/Redshift';

/** The options two runs of one deployment share (same config file, same secret). */
function sameConfig(sm: InMemorySecretsManager, rotate: RotateFunction, events: SchedulerEvent[]): RotationSchedulerOptions {
  return {
    secrets: [{ secretId: ID, schedule: 'rate(1 days)', window: '2h' }],
    secretsManager: sm,
    rotate,
    random: () => 0,
    onEvent: (event) => events.push(event),
  };
}

/** A rotation that creates its AWSPENDING version, then dies: it stops there when the scheduler stops. */
function diesAfterCreateSecret(sm: InMemorySecretsManager): { rotate: RotateFunction; created: Promise<void> } {
  let created!: () => void;
  const done = new Promise<void>((resolve) => (created = resolve));
  const rotate: RotateFunction = async ({ secretId, clientRequestToken, signal }) => {
    await sm.send({
      name: 'PutSecretValue',
      input: { SecretId: secretId, ClientRequestToken: clientRequestToken, SecretString: 'next', VersionStages: ['AWSPENDING'] },
    });
    created();
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    throw new RotationError({ secretId, step: 'setSecret', problem: 'stopped between steps' });
  };
  return { rotate, created: done };
}

describe('RotationScheduler after a restart', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(T0);
  });
  afterEach(() => vi.useRealTimers());

  it('resumes at its first check a rotation left under the token it derives itself, without waiting out the grace period', async () => {
    const sm = new InMemorySecretsManager({ clock: { now: () => Date.now() } });
    await sm.send({ name: 'CreateSecret', input: { Name: ID, SecretString: 'v0' } });
    const token = rotationToken(ID, T0 + DAY);
    vi.setSystemTime(T0 + DAY);
    const dying = diesAfterCreateSecret(sm);
    const first = new RotationScheduler(sameConfig(sm, dying.rotate, []));
    await first.tick();
    await dying.created;
    await first.stop();

    vi.setSystemTime(T0 + DAY + 60_000); // one minute later: well inside the 15-minute grace
    const engine = fakeEngine(sm);
    const events: SchedulerEvent[] = [];
    const restarted = new RotationScheduler(sameConfig(sm, engine.rotate, events));
    await restarted.tick();
    await restarted.idle();

    expect(engine.calls.map((c) => c.token)).toEqual([token]);
    expect(events.map((e) => e.type)).toEqual(['rotation-started', 'rotation-succeeded']);
    expect(events[0]).toMatchObject({ reason: 'resume', clientRequestToken: token });
    const current = await sm.send({ name: 'GetSecretValue', input: { SecretId: ID, VersionStage: 'AWSCURRENT' } });
    expect(current.VersionId).toBe(token);
  });

  it('still stands aside for a young AWSPENDING under a token it would not derive (a manual run)', async () => {
    const sm = new InMemorySecretsManager({ clock: { now: () => Date.now() } });
    await sm.send({ name: 'CreateSecret', input: { Name: ID, SecretString: 'v0' } });
    vi.setSystemTime(T0 + DAY);
    await sm.send({ name: 'PutSecretValue', input: { SecretId: ID, ClientRequestToken: rotationToken(ID, T0 + 2 * DAY), SecretString: 'x', VersionStages: ['AWSPENDING'] } });
    const engine = fakeEngine(sm);
    const scheduler = new RotationScheduler(sameConfig(sm, engine.rotate, []));

    await scheduler.tick();
    await scheduler.idle();

    expect(engine.calls).toEqual([]);
    expect(scheduler.status()[0]!.state).toBe('in-progress-elsewhere');
  });
});
