import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidOptionError } from '../../../../src/errors.js';
import { RotationScheduler, type RotationSchedulerOptions } from '../../../../src/rotation/scheduler/scheduler.js';
import { InMemorySecretsManager } from '../../../../src/testing/index.js';

const ID = 'Applications/MyApp/Redshift';
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Valid options with one field replaced (or, with `undefined` as the path, the whole object). */
function withField(path: string, value: unknown): RotationSchedulerOptions {
  const options: Record<string, any> = {
    secrets: [{ secretId: ID, schedule: 'rate(30 days)' }, { secretId: `${ID}-2`, schedule: 'rate(30 days)' }],
    secretsManager: new InMemorySecretsManager(),
    rotate: async () => undefined,
  };
  const keys = path.split('.');
  let target = options;
  for (const key of keys.slice(0, -1)) {
    const index = /^(\w+)\[(\d+)\]$/.exec(key);
    if (index) target = target[index[1]!][Number(index[2])];
    else target = target[key] ??= {};
  }
  const last = keys.at(-1)!;
  const index = /^(\w+)\[(\d+)\]$/.exec(last);
  if (index) target[index[1]!][Number(index[2])] = value;
  else target[last] = value;
  return options as RotationSchedulerOptions;
}

function optionError(build: () => unknown): InvalidOptionError {
  try {
    build();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError);
    return err as InvalidOptionError;
  }
  throw new Error('expected InvalidOptionError, nothing was thrown');
}

/** [field path, bad value, the option the error must name] */
const BAD: Array<[string, unknown, string]> = [
  // checkIntervalMs is a setInterval delay: above 2^31-1 Node fires it every 1 ms.
  ['checkIntervalMs', MAX_TIMER_MS + 1, 'checkIntervalMs'],
  ['checkIntervalMs', 2 ** 40, 'checkIntervalMs'],
  ['checkIntervalMs', -1, 'checkIntervalMs'],
  ['checkIntervalMs', Number.NaN, 'checkIntervalMs'],
  ['checkIntervalMs', Number.POSITIVE_INFINITY, 'checkIntervalMs'],
  ['checkIntervalMs', '60000', 'checkIntervalMs'],
  ['checkIntervalMs', 5, 'checkIntervalMs'],
  ['inProgressGraceMs', -1, 'inProgressGraceMs'],
  ['inProgressGraceMs', Number.NaN, 'inProgressGraceMs'],
  ['inProgressGraceMs', Number.POSITIVE_INFINITY, 'inProgressGraceMs'],
  ['inProgressGraceMs', '900000', 'inProgressGraceMs'],
  ['retry', 'fast', 'retry'],
  ['retry', null, 'retry'],
  ['backoff.baseMs', -1, 'backoff.baseMs'],
  ['backoff.baseMs', MAX_TIMER_MS + 1, 'backoff.baseMs'],
  ['backoff.maxMs', MAX_TIMER_MS + 1, 'backoff.maxMs'],
  ['backoff.maxMs', Number.POSITIVE_INFINITY, 'backoff.maxMs'],
  ['backoff.factor', Number.NaN, 'backoff.factor'],
  ['backoff.maxDelayMs', 1_000, 'backoff.maxDelayMs'],
  ['rotate', 'x', 'rotate'],
  ['rotate', {}, 'rotate'],
  // A clock without now() used to surface as an unhandled rejection at the first check.
  ['clock', {}, 'clock'],
  ['clock', { now: 5 }, 'clock'],
  ['clock', null, 'clock'],
  ['clock', () => Date.now(), 'clock'],
  ['random', 0.5, 'random'],
  ['onEvent', 'console.log', 'onEvent'],
  ['secretsManager', {}, 'secretsManager'],
  ['secretsManager', null, 'secretsManager'],
  ['secretsManagerConfig', { region: 'us-east-1' }, 'secretsManagerConfig'], // together with secretsManager
  ['secrets', 'Applications/MyApp/Redshift', 'secrets'],
  ['secrets', [], 'secrets'],
  ['secrets[1]', null, 'secrets[1]'],
  ['secrets[1]', ID, 'secrets[1]'],
  ['secrets[1].secretId', 5, 'secrets[1].secretId'],
  ['secrets[1].secretId', ID, 'secrets[1].secretId'], // the same secret twice
  ['secrets[1].schedule', 30, 'secrets[1].schedule'],
  ['secrets[1].schedule', 'every month', 'secrets[1].schedule'],
  // `window: 5` used to throw a TypeError (5.trim is not a function).
  ['secrets[1].window', 5, 'secrets[1].window'],
  ['secrets[1].window', null, 'secrets[1].window'],
  ['secrets[1].window', '0h', 'secrets[1].window'],
  ['secrets[1].window', '25h', 'secrets[1].window'],
  ['secrets[1].strategy', 'bogus', 'secrets[1].strategy'],
  ['secrets[1].strategy', 1, 'secrets[1].strategy'],
  ['secrets[1].strategy', '__proto__', 'secrets[1].strategy'],
  ['secrets[1].shedule', 'rate(30 days)', 'secrets[1].shedule'],
  // rotation blocks used to be checked only when a rotation was due.
  ['secrets[1].rotation', 'x', 'secrets[1].rotation'],
  ['secrets[1].rotation.strategy', 'single-user', 'secrets[1].rotation.strategy'],
  ['secrets[1].rotation.connectTimeoutMs', -1, 'secrets[1].rotation.connectTimeoutMs'],
  ['secrets[1].rotation.connectTimeoutMs', Number.NaN, 'secrets[1].rotation.connectTimeoutMs'],
  ['secrets[1].rotation.connectTimeoutMs', MAX_TIMER_MS + 1, 'secrets[1].rotation.connectTimeoutMs'],
  ['secrets[1].rotation.queryTimeoutMs', Number.POSITIVE_INFINITY, 'secrets[1].rotation.queryTimeoutMs'],
  ['secrets[1].rotation.queryTimeoutMs', '30s', 'secrets[1].rotation.queryTimeoutMs'],
  ['secrets[1].rotation.tlsCAFile', 5, 'secrets[1].rotation.tlsCAFile'],
  ['secrets[1].rotation.tlsCAFile', '', 'secrets[1].rotation.tlsCAFile'],
  ['secrets[1].rotation.passwordPolicy', 'strong', 'secrets[1].rotation.passwordPolicy'],
  ['secrets[1].rotation.passwordPolicy.length', '32', 'secrets[1].rotation.passwordPolicy.length'],
  ['secrets[1].rotation.passwordPolicy.length', 4, 'secrets[1].rotation.passwordPolicy.length'], // fits no engine
  ['secrets[1].rotation.passwordPolicy.excludeNumbers', 'yes', 'secrets[1].rotation.passwordPolicy.excludeNumbers'],
  ['secrets[1].rotation.passwordPolicy.excludeSymbols', true, 'secrets[1].rotation.passwordPolicy.excludeSymbols'],
  ['rotation', 5, 'rotation'],
  ['rotation.connectTimeoutMs', -5, 'rotation.connectTimeoutMs'],
  ['rotation.tlsCaFile', '/etc/ssl/ca.pem', 'rotation.tlsCaFile'],
  ['checkIntervalSeconds', 60, 'checkIntervalSeconds'],
];

describe('RotationScheduler options', () => {
  afterEach(() => vi.useRealTimers());

  it.each(BAD)('refuses %s = %o in the constructor, naming %s', (path, value, option) => {
    const err = optionError(() => new RotationScheduler(withField(path, value)));
    expect(err.code).toBe('ERR_INVALID_OPTION');
    expect(err.option).toBe(option);
  });

  it('refuses options that are not an object', () => {
    expect(optionError(() => new RotationScheduler(undefined as never)).option).toBe('options');
    expect(optionError(() => new RotationScheduler(null as never)).option).toBe('options');
  });

  it('accepts the largest interval setInterval honours, and then checks once per interval (no 1 ms loop)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const sm = new InMemorySecretsManager();
    await sm.send({ name: 'CreateSecret', input: { Name: ID, SecretString: 'v0' } });
    const scheduler = new RotationScheduler({ ...withField('checkIntervalMs', MAX_TIMER_MS), secretsManager: sm, secrets: [{ secretId: ID, schedule: 'rate(30 days)' }] } as RotationSchedulerOptions);

    scheduler.start();
    await vi.advanceTimersByTimeAsync(1_000);
    await scheduler.stop();

    expect(sm.callCount('ListSecretVersionIds')).toBe(1);
  });
});
