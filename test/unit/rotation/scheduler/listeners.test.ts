import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RotationError } from '../../../../src/errors.js';
import { RotationScheduler, type RotateFunction } from '../../../../src/rotation/scheduler/scheduler.js';
import { InMemorySecretsManager } from '../../../../src/testing/index.js';

const DAY = 24 * 3_600_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const SECRETS = 25;

describe('RotationScheduler with many secrets', () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning);
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(T0);
    warnings.length = 0;
    process.on('warning', onWarning);
  });
  afterEach(() => {
    process.off('warning', onWarning);
    vi.useRealTimers();
  });

  it('adds no more than a bounded number of abort listeners to its stop signal (no MaxListenersExceededWarning) while every secret retries at once', async () => {
    const sm = new InMemorySecretsManager({ clock: { now: () => Date.now() } });
    for (let i = 0; i < SECRETS; i++) await sm.send({ name: 'CreateSecret', input: { Name: `app/db-${i}`, SecretString: 'v0' } });
    const signals = new Set<AbortSignal>();
    let attempts = 0;
    const failing: RotateFunction = async ({ secretId, signal }) => {
      attempts++;
      signals.add(signal);
      throw new RotationError({ secretId, step: 'setSecret', problem: 'database down', retryable: true });
    };
    const scheduler = new RotationScheduler({
      secrets: Array.from({ length: SECRETS }, (_, i) => ({ secretId: `app/db-${i}`, schedule: 'rate(1 days)' })),
      secretsManager: sm,
      rotate: failing,
      random: () => 0,
      backoff: { baseMs: 1_000, factor: 1, maxMs: 1_000 },
    });

    vi.setSystemTime(T0 + DAY);
    await scheduler.tick();
    await vi.advanceTimersByTimeAsync(2_500); // every secret waits in its retry delay, twice
    await scheduler.stop();
    await new Promise((resolve) => process.nextTick(resolve)); // warnings are emitted on the next tick

    expect(attempts).toBeGreaterThanOrEqual(2 * SECRETS);
    expect(signals.size).toBeGreaterThan(0);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)).toEqual([]);
  });
});
