import { InvalidOptionError } from '../../errors.js';
import { checkClock, type Clock, type RandomSource } from '../../internal/clock.js';
import { resolveBackoff, type BackoffOptions } from '../../internal/backoff.js';
import { checkFunction, checkNumber, isPlainObject, refuseUnknownKeys } from '../../internal/options.js';
import { checkSecretsManagerChoice, SECRETS_MANAGER_KEYS, type SecretsManagerLike } from '../../secrets-manager/client.js';
import { resolveEngineConfig } from '../engine-config.js';
import { passwordRequestFor, type PasswordPolicy } from '../password-policy.js';
import { configuredSchedule } from './plan.js';
import { parseWindow, type RotationSchedule } from './schedule.js';
import type { RotateFunction, RotationSchedulerOptions, ScheduledRotationOptions, ScheduledSecret, SchedulerEvent } from './types.js';

/**
 * The longest delay `setTimeout` / `setInterval` honour (2^31 - 1 ms, about 24.8 days). Node
 * replaces a longer one with 1 ms, so a scheduler checking "every 30 days" would check 1,000
 * times a second: every delay the scheduler arms is refused above this, never clamped silently.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The defaults of {@link RotationSchedulerOptions}, frozen.
 *
 * @example
 * ```ts
 * new RotationScheduler({ secrets, checkIntervalMs: SCHEDULER_DEFAULTS.checkIntervalMs * 5 });
 * ```
 */
export const SCHEDULER_DEFAULTS = Object.freeze({
  checkIntervalMs: 60_000,
  inProgressGraceMs: 900_000,
  backoff: Object.freeze({ baseMs: 30_000, factor: 2, maxMs: 600_000 }),
});

// Records over every key of each type: the compiler insists each list is complete and exact.
const SCHEDULER_KEYS: Record<keyof RotationSchedulerOptions, true> = {
  ...SECRETS_MANAGER_KEYS, secrets: true, rotate: true, rotation: true, checkIntervalMs: true,
  backoff: true, inProgressGraceMs: true, clock: true, random: true, onEvent: true,
};
const SECRET_KEYS: Record<keyof ScheduledSecret, true> = { secretId: true, schedule: true, window: true, strategy: true, rotation: true };
const ROTATION_KEYS: Record<keyof ScheduledRotationOptions, true> = { tlsCAFile: true, passwordPolicy: true, connectTimeoutMs: true, queryTimeoutMs: true };
const POLICY_KEYS: Record<keyof PasswordPolicy, true> = {
  length: true, excludeCharacters: true, excludePunctuation: true, excludeNumbers: true, excludeUppercase: true, excludeLowercase: true, includeSpace: true,
};
const BACKOFF_KEYS: Record<keyof BackoffOptions, true> = { baseMs: true, factor: true, maxMs: true };

/** One secret as the scheduler keeps it: checked, copied and frozen, with its parsed schedule. */
export interface ResolvedSecret {
  readonly config: Readonly<ScheduledSecret>;
  /** Undefined: the schedule comes from the secret's RotationRules. */
  readonly schedule: RotationSchedule | undefined;
}

/** The scheduler's options, checked once and frozen. */
export interface SchedulerConfig {
  readonly secrets: readonly ResolvedSecret[];
  readonly secretsManager: SecretsManagerLike | undefined;
  readonly secretsManagerConfig: RotationSchedulerOptions['secretsManagerConfig'];
  readonly rotate: RotateFunction | undefined;
  readonly rotation: Readonly<ScheduledRotationOptions> | undefined;
  readonly checkIntervalMs: number;
  readonly backoff: Readonly<Required<BackoffOptions>>;
  readonly inProgressGraceMs: number;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly onEvent: ((event: SchedulerEvent) => void) | undefined;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Runs `check`, moving any InvalidOptionError it throws under `path` (`window` → `secrets[1].window`). */
function under<T>(path: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (!(err instanceof InvalidOptionError)) throw err;
    throw new InvalidOptionError(join(path, err.option), err.problem);
  }
}

/**
 * Checks engine options for scheduled rotations (`rotation`, or `secrets[i].rotation`) with the
 * engine's own rules, now rather than when a rotation falls due. A password policy must also
 * fit at least one engine (PostgreSQL's rules are the loosest). Errors name `path.field`.
 *
 * @example
 * ```ts
 * checkScheduledRotationOptions({ connectTimeoutMs: 2_000 }, 'rotation');
 * ```
 */
export function checkScheduledRotationOptions(value: unknown, path: string): Readonly<ScheduledRotationOptions> | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) throw new InvalidOptionError(path, 'must be an object of engine options');
  refuseUnknownKeys(path, value, ROTATION_KEYS, 'scheduled rotations');
  const options = value as ScheduledRotationOptions;
  const policy: unknown = options.passwordPolicy;
  if (policy !== undefined && !isPlainObject(policy)) throw new InvalidOptionError(join(path, 'passwordPolicy'), 'must be an object');
  if (isPlainObject(policy)) refuseUnknownKeys(join(path, 'passwordPolicy'), policy, POLICY_KEYS, 'passwordPolicy');
  under(path, () => {
    resolveEngineConfig(options);
    if (options.passwordPolicy !== undefined) passwordRequestFor('postgres', options.passwordPolicy);
  });
  return Object.freeze({ ...options, ...(isPlainObject(policy) ? { passwordPolicy: Object.freeze({ ...policy }) } : {}) });
}

/**
 * Checks one entry of `secrets` and parses its schedule and window. Errors name `path.field`.
 */
function checkScheduledSecret(value: unknown, path: string): ResolvedSecret {
  if (!isPlainObject(value)) throw new InvalidOptionError(path, 'must be an object with a secretId');
  refuseUnknownKeys(path, value, SECRET_KEYS, 'a scheduled secret');
  const entry = value as unknown as ScheduledSecret;
  if (typeof entry.secretId !== 'string' || entry.secretId === '') {
    throw new InvalidOptionError(join(path, 'secretId'), 'must be a non-empty string');
  }
  if (entry.schedule !== undefined && typeof entry.schedule !== 'string') {
    throw new InvalidOptionError(join(path, 'schedule'), 'must be a string: rate(N days), rate(N hours) or cron(...)');
  }
  const schedule = under(path, () => {
    if (entry.window !== undefined) parseWindow(entry.window);
    return configuredSchedule(entry.schedule, entry.window);
  });
  if (entry.strategy !== undefined) under(path, () => resolveEngineConfig({ strategy: entry.strategy! }));
  const rotation = checkScheduledRotationOptions(entry.rotation, join(path, 'rotation'));
  const config = Object.freeze({ ...entry, ...(rotation === undefined ? {} : { rotation }) });
  return Object.freeze({ config, schedule });
}

/**
 * Checks a list of scheduled secrets: at least one, each well formed, no secret twice (two
 * entries for one secret would race each other). Errors name `path[i].field`.
 *
 * @example
 * ```ts
 * checkScheduledSecrets(config.secrets, 'secrets');
 * ```
 */
export function checkScheduledSecrets(value: unknown, path = 'secrets'): readonly ResolvedSecret[] {
  if (!Array.isArray(value) || value.length === 0) throw new InvalidOptionError(path, 'must list at least one secret');
  const seen = new Map<string, number>();
  return Object.freeze(
    value.map((entry: unknown, i) => {
      const resolved = checkScheduledSecret(entry, `${path}[${i}]`);
      const earlier = seen.get(resolved.config.secretId);
      if (earlier !== undefined) throw new InvalidOptionError(`${path}[${i}].secretId`, `names the same secret as ${path}[${earlier}]`);
      seen.set(resolved.config.secretId, i);
      return resolved;
    }),
  );
}

function checkBackoff(value: unknown): Readonly<Required<BackoffOptions>> {
  if (value !== undefined && !isPlainObject(value)) throw new InvalidOptionError('backoff', 'must be an object { baseMs, factor, maxMs }');
  if (value !== undefined) refuseUnknownKeys('backoff', value, BACKOFF_KEYS, 'backoff');
  const backoff = resolveBackoff('backoff', value as BackoffOptions | undefined, SCHEDULER_DEFAULTS.backoff);
  // Retry waits arm setTimeout with these (on the system clock).
  checkNumber('backoff.baseMs', backoff.baseMs, 0, MAX_TIMER_MS);
  checkNumber('backoff.maxMs', backoff.maxMs, 0, MAX_TIMER_MS);
  return backoff;
}

/**
 * Checks every option of RotationScheduler and resolves the defaults once. Throws
 * InvalidOptionError naming the field (`checkIntervalMs`, `secrets[2].rotation.passwordPolicy.length`).
 *
 * @example
 * ```ts
 * const config = resolveSchedulerOptions({ secrets: [{ secretId: 'app/db', schedule: 'rate(30 days)' }] });
 * ```
 */
export function resolveSchedulerOptions(options: RotationSchedulerOptions): SchedulerConfig {
  if (!isPlainObject(options)) throw new InvalidOptionError('options', 'must be an object with a list of secrets');
  refuseUnknownKeys('', options, SCHEDULER_KEYS, 'RotationScheduler');
  const secrets = checkScheduledSecrets(options.secrets, 'secrets');
  checkSecretsManagerChoice(options);
  const clock = checkClock('clock', options.clock);
  return Object.freeze({
    secrets,
    secretsManager: options.secretsManager,
    secretsManagerConfig: options.secretsManagerConfig,
    rotate: checkFunction('rotate', options.rotate),
    rotation: checkScheduledRotationOptions(options.rotation, 'rotation'),
    checkIntervalMs: checkNumber('checkIntervalMs', options.checkIntervalMs ?? SCHEDULER_DEFAULTS.checkIntervalMs, 10, MAX_TIMER_MS),
    backoff: checkBackoff(options.backoff),
    inProgressGraceMs: checkNumber('inProgressGraceMs', options.inProgressGraceMs ?? SCHEDULER_DEFAULTS.inProgressGraceMs, 0),
    clock,
    random: checkFunction('random', options.random) ?? Math.random,
    onEvent: checkFunction('onEvent', options.onEvent),
  });
}
