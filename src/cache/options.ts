import type { SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { InvalidOptionError } from '../errors.js';
import { systemClock, type Clock, type RandomSource } from '../internal/clock.js';
import type { CacheEvent } from './events.js';
import type { SecretsManagerLike } from '../secrets-manager/client.js';

/** Jittered exponential backoff between attempts after a transient failure. */
export interface BackoffOptions {
  /** Delay before the first retry. Default 200 ms. */
  baseMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Ceiling of one delay (before jitter, which multiplies by U[1, 2)). Default 20,000 ms. */
  maxMs?: number;
}

/** Options of {@link SecretCache}. Every field is optional; defaults are documented per field. */
export interface SecretCacheOptions {
  /** A SecretsManagerClient, or anything with the same `send(command)`. */
  client?: SecretsManagerLike;
  /** Config to build a SecretsManagerClient when `client` is not given (SDK retries off: the cache retries). */
  clientConfig?: SecretsManagerClientConfig;
  /**
   * How long a value is fresh. Each entry expires at a uniformly random point in
   * [ttlMs / 2, ttlMs] so a fleet does not refresh in step. Default 300,000 ms (5 min).
   */
  ttlMs?: number;
  /** Most entries kept; the least recently used goes first. Default 1024. */
  maxEntries?: number;
  /**
   * How long past its expiry a value is still served while a refresh runs or Secrets Manager
   * fails transiently. Default 3,600,000 ms (1 h).
   */
  maxStaleMs?: number;
  /** Backoff between attempts after a transient failure. */
  backoff?: BackoffOptions;
  /** Attempts for a caller that has no usable value and must wait. Default 3. */
  maxAttempts?: number;
  /** The time source. Default `Date.now`. */
  clock?: Clock;
  /** The random source of the TTL jitter. Default `Math.random`. (Retry delays are jittered by p-retry with `Math.random`.) */
  random?: RandomSource;
  /** Called with every cache event. Must not throw (a throw is ignored). */
  onEvent?: (event: CacheEvent) => void;
}

/** The resolved, frozen configuration of a cache. */
export interface CacheConfig {
  readonly ttlMs: number;
  readonly maxEntries: number;
  readonly maxStaleMs: number;
  readonly backoff: Readonly<Required<BackoffOptions>>;
  readonly maxAttempts: number;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly onEvent: ((event: CacheEvent) => void) | undefined;
}

/**
 * The defaults of {@link SecretCacheOptions}, frozen; the README gives the reason for each.
 *
 * @example
 * ```ts
 * new SecretCache({ ttlMs: CACHE_DEFAULTS.ttlMs * 2 });
 * ```
 */
export const CACHE_DEFAULTS = Object.freeze({
  ttlMs: 300_000,
  maxEntries: 1024,
  maxStaleMs: 3_600_000,
  maxAttempts: 3,
  backoff: Object.freeze({ baseMs: 200, factor: 2, maxMs: 20_000 }),
});

/** Throws InvalidOptionError naming `name` unless `value` is a finite number within [min, max]. */
export function checkNumber(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidOptionError(name, `must be a number from ${min} to ${max}, got ${typeof value === 'number' ? value : typeof value}`);
  }
  return value;
}

function checkFunction<T>(name: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') throw new InvalidOptionError(name, 'must be a function');
  return value;
}

/**
 * Resolves a backoff option over `defaults`, checking each field; errors name `${name}.field`.
 */
export function resolveBackoff(name: string, given: BackoffOptions | undefined, defaults: Required<BackoffOptions>): Readonly<Required<BackoffOptions>> {
  const b = { ...defaults, ...given };
  return Object.freeze({
    baseMs: checkNumber(`${name}.baseMs`, b.baseMs, 0),
    factor: checkNumber(`${name}.factor`, b.factor, 1, 100),
    maxMs: checkNumber(`${name}.maxMs`, b.maxMs, 0),
  });
}

/** p-retry's delay options for a backoff: exponential, capped, jittered by U[1, 2). */
export function retryDelays(backoff: Readonly<Required<BackoffOptions>>): { minTimeout: number; factor: number; maxTimeout: number; randomize: true } {
  return { minTimeout: backoff.baseMs, factor: backoff.factor, maxTimeout: backoff.maxMs, randomize: true };
}

/** Checks the options and resolves the defaults once. */
export function resolveCacheConfig(options: SecretCacheOptions): CacheConfig {
  if (options.client !== undefined && typeof options.client?.send !== 'function') {
    throw new InvalidOptionError('client', 'must have a send(command) method');
  }
  if (options.client !== undefined && options.clientConfig !== undefined) {
    throw new InvalidOptionError('clientConfig', 'cannot be combined with client');
  }
  const clock = options.clock ?? systemClock;
  if (typeof clock?.now !== 'function') throw new InvalidOptionError('clock', 'must have a now() method');
  return Object.freeze({
    ttlMs: checkNumber('ttlMs', options.ttlMs ?? CACHE_DEFAULTS.ttlMs, 0),
    maxEntries: Math.floor(checkNumber('maxEntries', options.maxEntries ?? CACHE_DEFAULTS.maxEntries, 1, 1_000_000)),
    maxStaleMs: checkNumber('maxStaleMs', options.maxStaleMs ?? CACHE_DEFAULTS.maxStaleMs, 0),
    maxAttempts: Math.floor(checkNumber('maxAttempts', options.maxAttempts ?? CACHE_DEFAULTS.maxAttempts, 1, 100)),
    backoff: resolveBackoff('backoff', options.backoff, CACHE_DEFAULTS.backoff),
    clock,
    random: checkFunction('random', options.random) ?? Math.random,
    onEvent: checkFunction('onEvent', options.onEvent),
  });
}
