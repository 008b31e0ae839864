import { LRUCache } from 'lru-cache';
import { ClosedError, fromSdkError, InvalidRequestError, InvalidSecretFormatError, SecretNotFoundError, ThrottledError } from '../errors.js';
import { backoffDelayMs, throttledDelayMs } from '../internal/backoff.js';
import { fleetPolicy } from '../internal/fleet-policy.js';
import { coarseSystemClock, systemClock, type Clock } from '../internal/clock.js';
import type { CacheErrorEvent, CacheHitEvent, CacheMissEvent, CacheRefreshEvent, CacheStaleServedEvent } from './events.js';
import { emitSafely } from '../internal/emit.js';
import { cacheObserved, publishCache } from '../diagnostics/publish.js';
import { resolveCacheConfig, type CacheConfig, type SecretCacheOptions } from './options.js';
import { retryOnClock } from '../internal/retry.js';
import { keyOf, SEP, targetOf, type Target } from './keys.js';
import { deepFreeze } from '../internal/deep-freeze.js';
import type { SecretVersion, VersionSelector } from '../secrets-manager/secret-version.js';
import { SecretsManagerSource, type SecretSource } from '../secrets-manager/source.js';
import { createSecretsManagerClient, type SecretsManagerLike } from '../secrets-manager/client.js';

/**
 * True when Secrets Manager says the secret or the stage no longer exists (not found; deleted or
 * scheduled for deletion): the only failures that end stale serving. Everything else — throttling,
 * outages, credentials that failed to load or expired, access denied, a disabled KMS key — leaves
 * the value served up to maxStale: it does not make the value the process holds less true.
 */
function endsStaleServing(error: unknown): boolean {
  return error instanceof SecretNotFoundError || error instanceof InvalidRequestError;
}

/** A lookup's event as an emit site writes it: `#emit` adds the secret id and the selector from `target`. */
type LookupEventInput<E = CacheHitEvent | CacheMissEvent | CacheStaleServedEvent | CacheRefreshEvent | CacheErrorEvent> = E extends unknown
  ? Omit<E, 'secretId' | 'versionStage'> & { target: Target }
  : never;

interface Entry {
  readonly version: SecretVersion;
  readonly expiresAt: number;
  readonly staleUntil: number;
  /** Parsed and deep-frozen JSON, computed on first use and then shared by every hit. */
  json?: unknown;
}

/** A request in flight for one key. */
/**
 * One fetch in flight for a key, shared by every caller of that key (single flight). A flight a
 * background refresh started retries until the value it serves meanwhile is too stale; once a
 * caller waits on it, that caller's maxAttempts bounds the retries left.
 */
class Flight {
  readonly promise: Promise<Entry>;
  /** Set by invalidate(): the answer, sent before the invalidation, is not stored or joined. */
  discarded = false;
  /** Set once a waiting caller joins a running flight: the retries it may still make. */
  #callerRetriesLeft: number | undefined;

  /** `start` runs at once, with this flight, and returns the fetch every caller shares. */
  constructor(start: (flight: Flight) => Promise<Entry>) {
    this.promise = start(this);
  }

  /** A caller that waits joins: from here on it gets no more than `retries` more attempts. */
  joinWaitingCaller(retries: number): void {
    this.#callerRetriesLeft ??= retries;
  }

  get hasJoinedCaller(): boolean {
    return this.#callerRetriesLeft !== undefined;
  }

  /** Uses up one of the joined caller's retries; false when it has none left. */
  spendCallerRetry(): boolean {
    if (this.#callerRetriesLeft === undefined || this.#callerRetriesLeft <= 0) return false;
    this.#callerRetriesLeft--;
    return true;
  }
}

/** Counters of a cache since it was created. */
export interface CacheStats {
  hits: number;
  misses: number;
  fetches: number;
  staleServed: number;
  errors: number;
  size: number;
}

/**
 * A caching resolver for Secrets Manager, keyed by secret and version stage (or version id).
 *
 * - Concurrent callers for one key share one GetSecretValue (single-flight).
 * - Past its TTL a value is served at once while one background refresh runs
 *   (stale-while-revalidate), for up to `maxStaleMs`.
 * - Transient failures (throttling, 5xx, timeouts, network, AWS credentials) are retried with
 *   jittered exponential backoff; permanent ones surface at once, as typed errors, to a caller
 *   that waits. A value already held is served up to maxStale through any failure except the
 *   secret or stage being gone (not found, deleted), which ends stale serving.
 * - Bounded by an LRU of `maxEntries`; reads need only `secretsmanager:GetSecretValue`.
 *
 * @example
 * ```ts
 * import { SecretCache } from 'credstage';
 *
 * const cache = new SecretCache({ secretsManagerConfig: { region: 'us-west-2' } });
 * const secret = await cache.getSecretJson<{ username: string; password: string }>(
 *   'Applications/MyApp/Documentdb-instance',
 * );
 * const pending = await cache.getSecretVersion('Applications/MyApp/Documentdb-instance', {
 *   versionStage: 'AWSPENDING',
 * });
 * ```
 */
export class SecretCache {
  readonly config: CacheConfig;
  /** The clock of the hit path: the system clock at millisecond resolution, or an injected clock as it is. */
  readonly #hitClock: Clock;
  readonly #source: SecretSource;
  readonly #ownedClient: SecretsManagerLike | undefined;
  readonly #store: LRUCache<string, Entry>;
  readonly #inflight = new Map<string, Flight>();
  readonly #abort = new AbortController();
  readonly #counters = { hits: 0, misses: 0, fetches: 0, staleServed: 0, errors: 0 };
  #closed = false;
  /** The policies before issue 13 (bench/fleet.ts compares them); never set in production. */
  readonly #legacy = fleetPolicy.legacy;

  constructor(options: SecretCacheOptions = {}) {
    this.config = resolveCacheConfig(options);
    this.#hitClock = this.config.clock === systemClock ? coarseSystemClock() : this.config.clock;
    const client = options.secretsManager ?? createSecretsManagerClient(options.secretsManagerConfig);
    this.#ownedClient = options.secretsManager ? undefined : client;
    this.#source = new SecretsManagerSource(client);
    this.#store = new LRUCache<string, Entry>({ max: this.config.maxEntries });
  }

  /**
   * The SecretString of a version (default AWSCURRENT).
   *
   * @example
   * ```ts
   * const text = await cache.getSecretString('Applications/MyApp/Documentdb-instance');
   * ```
   */
  async getSecretString(secretId: string, opts?: VersionSelector): Promise<string> {
    const found = this.#entry(secretId, opts);
    const entry = found instanceof Promise ? await found : found;
    const value = entry.version.secretString;
    if (value === undefined) throw this.#formatError(secretId, entry, 'has no SecretString (it is a binary secret)');
    return value;
  }

  /**
   * The SecretBinary of a version (default AWSCURRENT): a new copy on every call, so the caller
   * may zero it after use without touching the cached value.
   *
   * @example
   * ```ts
   * const bytes = await cache.getSecretBinary('Applications/MyApp/tls-key');
   * ```
   */
  async getSecretBinary(secretId: string, opts?: VersionSelector): Promise<Uint8Array> {
    const found = this.#entry(secretId, opts);
    const entry = found instanceof Promise ? await found : found;
    const value = entry.version.secretBinary; // a copy (SecretVersion hands out no shared bytes)
    if (value === undefined) throw this.#formatError(secretId, entry, 'has no SecretBinary (it is a string secret)');
    return value;
  }

  /**
   * The SecretString parsed as JSON. Parsed once per version and deep-frozen: every caller
   * shares the same object, so it cannot be changed.
   *
   * @example
   * ```ts
   * const { host, port } = await cache.getSecretJson<{ host: string; port: number }>('Applications/MyApp/Documentdb-instance');
   * ```
   */
  async getSecretJson<T = unknown>(secretId: string, opts?: VersionSelector): Promise<T> {
    const found = this.#entry(secretId, opts);
    const entry = found instanceof Promise ? await found : found;
    if (entry.json === undefined) {
      const text = entry.version.secretString;
      if (text === undefined) throw this.#formatError(secretId, entry, 'has no SecretString (it is a binary secret)');
      try {
        entry.json = deepFreeze(JSON.parse(text));
      } catch {
        // The SyntaxError quotes the text, which is the secret: it is not kept as a cause.
        throw this.#formatError(secretId, entry, 'is not valid JSON');
      }
    }
    return entry.json as T;
  }

  /**
   * The whole version: value plus versionId, versionStages, arn, name and createdDate.
   *
   * @example
   * ```ts
   * const v = await cache.getSecretVersion('Applications/MyApp/Documentdb-instance', { versionStage: 'AWSPREVIOUS' });
   * console.log(v.versionId, v.versionStages);
   * ```
   */
  async getSecretVersion(secretId: string, opts?: VersionSelector): Promise<SecretVersion> {
    const found = this.#entry(secretId, opts);
    return (found instanceof Promise ? await found : found).version;
  }

  /**
   * The cached version without any request, or undefined. Serves expired values too
   * (they are still the newest this process knows).
   *
   * @example
   * ```ts
   * const known = cache.peek('Applications/MyApp/Documentdb-instance');
   * ```
   */
  peek(secretId: string, opts?: VersionSelector): SecretVersion | undefined {
    return this.#store.peek(targetOf(secretId, opts).key)?.version;
  }

  /**
   * Fetches the version now, whatever the cache holds, and stores it. Joins a request
   * already in flight for the same key instead of sending another.
   *
   * @example
   * ```ts
   * const fresh = await cache.refresh('Applications/MyApp/Documentdb-instance');
   * ```
   */
  async refresh(secretId: string, opts?: VersionSelector): Promise<SecretVersion> {
    this.#assertOpen();
    return (await this.#load(targetOf(secretId, opts), false)).version;
  }

  /**
   * Drops the cached versions of one secret (every stage and version id), or of all secrets.
   *
   * @example
   * ```ts
   * cache.invalidate('Applications/MyApp/Documentdb-instance');
   * ```
   */
  invalidate(secretId?: string): void {
    const prefix = secretId + SEP;
    const matches = (key: string): boolean => secretId === undefined || key === secretId || key.startsWith(prefix);
    // A request sent before the invalidation may carry what the caller just declared outdated.
    for (const [key, flight] of this.#inflight) {
      if (!matches(key)) continue;
      flight.discarded = true;
      this.#inflight.delete(key);
    }
    if (secretId === undefined) {
      this.#store.clear();
      return;
    }
    for (const key of [...this.#store.keys()]) {
      if (matches(key)) this.#store.delete(key);
    }
  }

  /**
   * Counters since the cache was created, and its current size.
   *
   * @example
   * ```ts
   * const { hits, misses, fetches } = cache.stats();
   * ```
   */
  stats(): CacheStats {
    return { ...this.#counters, size: this.#store.size };
  }

  /**
   * Stops background refreshes, drops every value and releases the client the cache built.
   * Safe to call twice.
   *
   * @example
   * ```ts
   * await cache.close();
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Callers waiting on a request get a credstage error (the abort reason), not a DOMException.
    this.#abort.abort(new ClosedError('SecretCache'));
    this.#store.clear();
    this.#ownedClient?.destroy?.();
  }

  /** The hit path: everything here runs on every call; a hit allocates nothing but a non-default stage's key. */
  #entry(secretId: string, opts: VersionSelector | undefined): Entry | Promise<Entry> {
    if (this.#closed) throw new ClosedError('SecretCache');
    const key = keyOf(secretId, opts);
    const entry = this.#store.get(key);
    if (entry !== undefined) {
      const now = this.#hitClock.now();
      if (now < entry.expiresAt) {
        this.#counters.hits++;
        if (this.config.onEvent || cacheObserved()) this.#emit({ type: 'hit', target: targetOf(secretId, opts), versionId: entry.version.versionId });
        return entry;
      }
      if (now < entry.staleUntil) {
        this.#counters.staleServed++;
        const target = targetOf(secretId, opts);
        this.#emit({ type: 'stale-served', target, versionId: entry.version.versionId });
        if (!this.#inflight.has(key)) this.#load(target, true).catch(() => undefined);
        return entry;
      }
    }
    this.#counters.misses++;
    const target = targetOf(secretId, opts);
    this.#emit({ type: 'miss', target });
    return this.#load(target, false);
  }

  /** Single-flight fetch with retries; a background refresh retries until the value is too stale to serve. */
  // Not lru-cache's fetch(): it cannot retry a background refresh for the stale window, nor bound a joining caller to its own maxAttempts.
  #load(target: Target, background: boolean): Promise<Entry> {
    const running = this.#inflight.get(target.key);
    if (running) {
      // A background loop retries until maxStale; a caller that waits on it (refresh, or a miss)
      // gets no more than its own maxAttempts from here on.
      if (!background) running.joinWaitingCaller(this.config.maxAttempts - 1);
      return running.promise;
    }
    const flight = new Flight((self) => this.#fly(target, background, self));
    this.#inflight.set(target.key, flight);
    return flight.promise;
  }

  /** The fetch of one flight: retried, then stored (or, when the secret is gone, the stale entry dropped). */
  #fly(target: Target, background: boolean, flight: Flight): Promise<Entry> {
    const previous = this.#store.peek(target.key);
    return this.#fetchWithRetries(target, background, flight, previous)
      .then(
        (version) => this.#remember(target, version, background, previous, flight.discarded),
        (error: unknown) => {
          if (background) this.#forgetIfGone(target, error, previous);
          throw error;
        },
      )
      .finally(() => {
        if (this.#inflight.get(target.key) === flight) this.#inflight.delete(target.key);
      });
  }

  /**
   * Retries over one fetch: a waiting caller's maxAttempts, or a background refresh's stale
   * window. Waits are on the injected clock (its `sleep`, else real timers, unref'd for a
   * background refresh), so a fake clock drives them as it drives TTLs.
   */
  #fetchWithRetries(target: Target, background: boolean, flight: Flight, previous: Entry | undefined): Promise<SecretVersion> {
    const { backoff, clock, random } = this.config;
    const retryWindowMs = background && previous ? Math.max(0, previous.staleUntil - clock.now()) : undefined;
    const stale = retryWindowMs === undefined ? undefined : previous;
    return retryOnClock(() => this.#fetchOnce(target), {
      retries: retryWindowMs === undefined ? this.config.maxAttempts - 1 : Number.POSITIVE_INFINITY,
      maxRetryTimeMs: retryWindowMs ?? Number.POSITIVE_INFINITY,
      backoff,
      clock,
      random,
      signal: this.#abort.signal,
      unref: background, // a background refresh must not keep the process alive; a waiting caller must
      shouldRetry: (error) => this.#shouldRetry(error, flight, stale),
      // Throttling is counted per second for the whole account: a retry inside the same second
      // is turned away again, so a throttled read waits into the next seconds instead.
      delayMs: this.#legacy ? undefined : (error, retriesDone) => (error instanceof ThrottledError ? throttledDelayMs(retriesDone, random, backoff.maxMs) : backoffDelayMs(backoff, retriesDone, random)),
      onFailedAttempt: (error) => this.#reportFailedAttempt(target, error, background, previous),
    });
  }

  #reportFailedAttempt(target: Target, error: unknown, background: boolean, previous: Entry | undefined): void {
    this.#counters.errors++;
    const servingStale = previous !== undefined && this.config.clock.now() < previous.staleUntil;
    this.#emit({
      type: 'error',
      target,
      error: fromSdkError(error, target.selector),
      background,
      servingStale,
      previousVersionId: previous?.version.versionId,
    });
  }

  /**
   * Secrets Manager saying the secret or stage is gone ends stale serving: the next caller gets
   * the typed error instead of a value nobody vouches for any more.
   */
  #forgetIfGone(target: Target, error: unknown, previous: Entry | undefined): void {
    if (endsStaleServing(error) && this.#store.peek(target.key) === previous) this.#store.delete(target.key);
  }

  /**
   * Whether a failed attempt is tried again. A caller that waits (no usable value, or
   * `refresh()`) retries only retryable errors, at most maxAttempts in all. A background refresh
   * behind a value still within maxStale retries every error except "the secret is gone", on the
   * backoff schedule: a credentials blip or a revoked permission is reported (error events) but
   * does not take away a value the process already holds; and one loop with backoff, rather than
   * a new request per stale read, keeps a failing Secrets Manager from being called on every hit.
   * `stale` is the entry a background refresh serves meanwhile, undefined for a waiting caller.
   * A caller that joined the flight spends one of its retries on each retry.
   */
  #shouldRetry(error: unknown, flight: Flight, stale: Entry | undefined): boolean {
    if (this.#closed) return false;
    // A programming error, not a transient one (p-retry's rule, kept when the loop moved onto the clock).
    if (error instanceof TypeError) return false;
    if (stale !== undefined && !this.#mayRetryBehindStale(error, stale)) return false;
    const retryable = (error as { retryable?: boolean }).retryable === true;
    // A background loop alone retries every error; a waiting caller only a retryable one.
    if (!flight.hasJoinedCaller) return stale !== undefined || retryable;
    return retryable && flight.spendCallerRetry();
  }

  /** The injected clock's wall time decides when a stale value is too old to retry for. */
  #mayRetryBehindStale(error: unknown, stale: Entry): boolean {
    return !endsStaleServing(error) && this.config.clock.now() < stale.staleUntil;
  }

  async #fetchOnce(target: Target): Promise<SecretVersion> {
    this.#counters.fetches++;
    return this.#source.fetch(target.secretId, target.selector);
  }

  #remember(target: Target, version: SecretVersion, background: boolean, previous: Entry | undefined, discarded: boolean): Entry {
    const { clock, ttlMs, maxStaleMs, random } = this.config;
    const now = clock.now();
    // A fetch a caller waited for (the first of a key, a miss, a forced refresh()) expires at a
    // uniform point in [ttl/2, ttl], so a fleet that fetched together (started together, or
    // read by force in the same second of a rotation) does not refresh together ever after.
    // A TTL refresh in the background keeps the phase that gave it and lasts the whole TTL:
    // jittering every refresh made the mean lifetime 3/4 of the TTL, a third more reads per
    // hour than 3600 / TTL.
    const jittered = this.#legacy || previous === undefined || !background;
    const expiresAt = now + (jittered ? ttlMs * (1 - random() / 2) : ttlMs);
    const entry: Entry = { version, expiresAt, staleUntil: expiresAt + maxStaleMs };
    if (!this.#closed && !discarded) this.#store.set(target.key, entry);
    this.#emit({
      type: 'refresh',
      target,
      versionId: version.versionId,
      previousVersionId: previous?.version.versionId,
      background,
    });
    return entry;
  }

  #emit(event: LookupEventInput): void {
    if (this.config.onEvent === undefined && !cacheObserved()) return;
    const { target, ...fields } = event;
    const full = { secretId: target.secretId, ...target.selector, ...fields };
    emitSafely(this.config.onEvent, full);
    publishCache(full);
  }

  #formatError(secretId: string, entry: Entry, problem: string): InvalidSecretFormatError {
    return new InvalidSecretFormatError({ secretId, versionId: entry.version.versionId, problem });
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError('SecretCache');
  }
}
