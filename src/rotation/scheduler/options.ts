import { InvalidOptionError } from '../../errors.js';
import { systemClock, type Clock, type RandomSource } from '../../internal/clock.js';
import { resolveBackoff, type BackoffOptions } from '../../internal/backoff.js';
import { checkNumber } from '../../internal/options.js';
import type { SecretsManagerLike } from '../../secrets-manager/client.js';
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

const DEFAULT_RETRY: Required<BackoffOptions> = Object.freeze({ baseMs: 30_000, factor: 2, maxMs: 600_000 });

// Records over every key of each type: the compiler insists each list is complete and exact.
const SCHEDULER_KEYS: Record<keyof RotationSchedulerOptions, true> = {
  secrets: true, client: true, clientConfig: true, rotate: true, rotation: true, checkIntervalMs: true,
  retry: true, inProgressGraceMs: true, clock: true, random: true, onEvent: true,
};
const SECRET_KEYS: Record<keyof ScheduledSecret, true> = { secretId: true, schedule: true, window: true, strategy: true, rotation: true };
const ROTATION_KEYS: Record<keyof ScheduledRotationOptions, true> = { tlsCAFile: true, passwordPolicy: true, connectTimeoutMs: true, queryTimeoutMs: true };
const POLICY_KEYS: Record<keyof PasswordPolicy, true> = {
  length: true, excludeCharacters: true, excludePunctuation: true, excludeNumbers: true, excludeUppercase: true, excludeLowercase: true, includeSpace: true,
};
const RETRY_KEYS: Record<keyof BackoffOptions, true> = { baseMs: true, factor: true, maxMs: true };

/** One secret as the scheduler keeps it: checked, copied and frozen, with its parsed schedule. */
export interface ResolvedSecret {
  readonly config: Readonly<ScheduledSecret>;
  /** Undefined: the schedule comes from the secret's RotationRules. */
  readonly schedule: RotationSchedule | undefined;
}

/** The scheduler's options, checked once and frozen. */
export interface SchedulerConfig {
  readonly secrets: readonly ResolvedSecret[];
  readonly client: SecretsManagerLike | undefined;
  readonly clientConfig: RotationSchedulerOptions['clientConfig'];
  readonly rotate: RotateFunction | undefined;
  readonly rotation: Readonly<ScheduledRotationOptions> | undefined;
  readonly checkIntervalMs: number;
  readonly retry: Readonly<Required<BackoffOptions>>;
  readonly inProgressGraceMs: number;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly onEvent: ((event: SchedulerEvent) => void) | undefined;
}

/** True for `{...}`: not null, not an array, not a function. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Throws InvalidOptionError naming `path.key` for the first own key of `value` that is not in
 * `known`: a misspelt option (`shedule`, `tlsCaFile`) would otherwise be ignored in silence.
 */
export function refuseUnknownKeys(path: string, value: Record<string, unknown>, known: object, what: string): void {
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(known, key)) throw new InvalidOptionError(join(path, key), `is not an option of ${what}`);
  }
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

function checkFunction<T>(name: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') throw new InvalidOptionError(name, 'must be a function');
  return value;
}

function checkRetry(value: unknown): Readonly<Required<BackoffOptions>> {
  if (value !== undefined && !isPlainObject(value)) throw new InvalidOptionError('retry', 'must be an object { baseMs, factor, maxMs }');
  if (value !== undefined) refuseUnknownKeys('retry', value, RETRY_KEYS, 'retry');
  const retry = resolveBackoff('retry', value as BackoffOptions | undefined, DEFAULT_RETRY);
  // p-retry arms setTimeout with these.
  checkNumber('retry.baseMs', retry.baseMs, 0, MAX_TIMER_MS);
  checkNumber('retry.maxMs', retry.maxMs, 0, MAX_TIMER_MS);
  return retry;
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
  if (options.client !== undefined && typeof (options.client as Partial<SecretsManagerLike> | null)?.send !== 'function') {
    throw new InvalidOptionError('client', 'must have a send(command) method (a SecretsManagerClient)');
  }
  if (options.clientConfig !== undefined && !isPlainObject(options.clientConfig)) {
    throw new InvalidOptionError('clientConfig', 'must be an object (SecretsManagerClientConfig)');
  }
  if (options.client !== undefined && options.clientConfig !== undefined) {
    throw new InvalidOptionError('clientConfig', 'cannot be combined with client');
  }
  const clock = options.clock === undefined ? systemClock : options.clock;
  if (typeof (clock as Partial<Clock> | null)?.now !== 'function') throw new InvalidOptionError('clock', 'must have a now() method');
  return Object.freeze({
    secrets,
    client: options.client,
    clientConfig: options.clientConfig,
    rotate: checkFunction('rotate', options.rotate),
    rotation: checkScheduledRotationOptions(options.rotation, 'rotation'),
    checkIntervalMs: checkNumber('checkIntervalMs', options.checkIntervalMs ?? 60_000, 10, MAX_TIMER_MS),
    retry: checkRetry(options.retry),
    inProgressGraceMs: checkNumber('inProgressGraceMs', options.inProgressGraceMs ?? 900_000, 0),
    clock,
    random: checkFunction('random', options.random) ?? Math.random,
    onEvent: checkFunction('onEvent', options.onEvent),
  });
}
