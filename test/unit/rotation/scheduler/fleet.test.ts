import { describe, expect, it } from 'vitest';
import { RotationError } from '../../../../src/errors.js';
import { RotationScheduler, type RotateFunction } from '../../../../src/rotation/scheduler/scheduler.js';
import { InMemorySecretsManager, ManualClock } from '../../../../src/testing/index.js';
import { fakeEngine } from './fixtures.js';

// Behaviours issue 13 (fleet scale: 1,000 secrets × 3 replicas) asked for, on a ManualClock.

const DAY = 24 * 3_600_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

async function secretsIn(sm: InMemorySecretsManager, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `app/db-${i}`);
  for (const id of ids) await sm.send({ name: 'CreateSecret', input: { Name: id, SecretString: 'v0' } });
  sm.calls.length = 0;
  return ids;
}

/** A scheduler of 100 secrets (more than 50, so each check is spread over the 60 s interval). */
async function hundredSecretsScheduler(): Promise<{ clock: ManualClock; sm: InMemorySecretsManager; scheduler: RotationScheduler }> {
  const clock = new ManualClock(T0);
  const sm = new InMemorySecretsManager({ clock });
  const ids = await secretsIn(sm, 100);
  const scheduler = new RotationScheduler({
    secrets: ids.map((secretId) => ({ secretId, schedule: 'rate(1 days)' })),
    secretsManager: sm,
    rotate: fakeEngine(sm).rotate,
    clock,
    random: () => 0,
    checkIntervalMs: 60_000,
  });
  return { clock, sm, scheduler };
}

describe('RotationScheduler at fleet scale', () => {
  it('does not re-read a secret at every check while its start is hours away (at most about once an hour)', async () => {
    const clock = new ManualClock(T0);
    const sm = new InMemorySecretsManager({ clock });
    const [id] = await secretsIn(sm, 1);
    const scheduler = new RotationScheduler({ secrets: [{ secretId: id!, schedule: 'rate(1 days)' }], secretsManager: sm, rotate: fakeEngine(sm).rotate, clock, random: () => 0 });

    for (let minute = 0; minute < 120; minute++) {
      await scheduler.tick();
      clock.advance(60_000);
    }

    expect(sm.callCount('ListSecretVersionIds')).toBeGreaterThanOrEqual(1);
    expect(sm.callCount('ListSecretVersionIds')).toBeLessThanOrEqual(4); // two hours: not 120
    await scheduler.stop();
  });

  it('still starts the rotation at its due time after skipping the checks before it', async () => {
    const clock = new ManualClock(T0);
    const sm = new InMemorySecretsManager({ clock });
    const [id] = await secretsIn(sm, 1);
    const engine = fakeEngine(sm);
    const startedAt: number[] = [];
    const scheduler = new RotationScheduler({
      secrets: [{ secretId: id!, schedule: 'rate(1 days)', window: '2h' }],
      secretsManager: sm,
      rotate: engine.rotate,
      clock,
      random: () => 0,
      onEvent: (e) => void (e.type === 'rotation-started' && startedAt.push(e.at.getTime())),
    });

    for (let minute = 0; minute <= 24 * 60; minute++) {
      await scheduler.tick();
      if (engine.calls.length > 0) break;
      clock.advance(60_000);
    }
    await scheduler.idle();

    expect(engine.calls).toHaveLength(1);
    expect(startedAt).toEqual([T0 + DAY]); // random 0: the start is the due time itself
    await scheduler.stop();
  });

  it('spreads the checks of more than 50 secrets over the check interval instead of one burst', async () => {
    const { clock, sm, scheduler } = await hundredSecretsScheduler();

    const ticking = scheduler.tick();
    await settle();
    const atOnce = sm.callCount('ListSecretVersionIds');
    for (let s = 0; s < 60; s++) {
      clock.advance(1_000);
      await settle();
    }
    await ticking;

    expect(atOnce).toBeLessThanOrEqual(2);
    expect(sm.callCount('ListSecretVersionIds')).toBe(100);
    await scheduler.stop();
  });

  it('stop() during a check spread over the interval returns without waiting for the rest of the interval', async () => {
    const { sm, scheduler } = await hundredSecretsScheduler();
    void scheduler.tick();
    await settle();

    // The clock is never advanced: the 99 checks still waiting for their turn must not hold stop().
    const stopped = await Promise.race([scheduler.stop().then(() => 'stopped'), settle().then(() => 'still waiting')]);

    expect(stopped).toBe('stopped');
    expect(sm.callCount('ListSecretVersionIds')).toBeLessThanOrEqual(2);
  });

  it('waits between the attempts of a failed rotation on the injected clock', async () => {
    const clock = new ManualClock(T0);
    const sm = new InMemorySecretsManager({ clock });
    const [id] = await secretsIn(sm, 1);
    const engine = fakeEngine(sm);
    let failures = 1;
    const flaky: RotateFunction = async (request) => {
      if (failures-- > 0) throw new RotationError({ secretId: id!, step: 'setSecret', problem: 'database down', retryable: true });
      return engine.rotate(request);
    };
    const scheduler = new RotationScheduler({
      secrets: [{ secretId: id!, schedule: 'rate(1 days)' }],
      secretsManager: sm,
      rotate: flaky,
      clock,
      random: () => 0,
      backoff: { baseMs: 60_000, factor: 1, maxMs: 60_000 },
    });
    clock.advance(DAY);
    await scheduler.tick();
    await settle();
    expect(engine.calls).toHaveLength(0);

    clock.advance(60_000); // a minute on the clock, no real time
    await scheduler.idle();

    expect(engine.calls).toHaveLength(1);
    expect(scheduler.status()[0]).toMatchObject({ state: 'idle' });
    await scheduler.stop();
  });
});
