import { InvalidOptionError } from '../errors.js';
import { resolveBackoff, type BackoffOptions } from '../internal/backoff.js';
import { checkFunction, checkNumber, isPlainObject, refuseUnknownKeys, type KnownKeys } from '../internal/options.js';
import { checkClock, type Clock, type RandomSource } from '../internal/clock.js';
import type { CacheEvent } from './events.js';
import { checkSecretsManagerChoice, SECRETS_MANAGER_KEYS, type SecretsManagerChoice } from '../secrets-manager/client.js';

/**
 * Options of {@link SecretCache}. Every field is optional; defaults are documented per field.
 * The Secrets Manager client is `secretsManager`, or one built from `secretsManagerConfig`
 * (SDK retries off: the cache retries), never both.
 */
export type SecretCacheOptions = SecretCacheOwnOptions & SecretsManagerChoice;

/** The options of {@link SecretCache} besides the Secrets Manager client. */
export interface SecretCacheOwnOptions {
  /**
   * How long a value is fresh. A fetch a caller waited for (the first, a miss, a forced refresh)
   * expires at a uniformly random point in [ttlMs / 2, ttlMs], so a fleet does not refresh in
   * step; a background refresh lasts the full TTL, so steady state stays at 3600 / TTL reads an
   * hour. Default 300,000 ms (5 min).
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
  /** The time source: `now()` for TTLs, `monotonicMs()` for retry budgets. Default the system clock. */
  clock?: Clock;
  /** The random source of the TTL jitter and of the retry delays' jitter. Default `Math.random`. */
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

const CACHE_KEYS: KnownKeys<SecretCacheOptions> = {
  ...SECRETS_MANAGER_KEYS, ttlMs: true, maxEntries: true, maxStaleMs: true, backoff: true, maxAttempts: true, clock: true, random: true, onEvent: true,
};

/** Checks the options and resolves the defaults once. */
export function resolveCacheConfig(options: SecretCacheOptions): CacheConfig {
  if (!isPlainObject(options as unknown)) throw new InvalidOptionError('options', 'must be an object');
  refuseUnknownKeys('', options, CACHE_KEYS, 'SecretCache');
  checkSecretsManagerChoice(options);
  const clock = checkClock('clock', options.clock);
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
