import pRetry from 'p-retry';
import { AuthenticationRejectedError, CredstageError, InvalidOptionError, SecretNotFoundError } from '../errors.js';
import { sleep, systemClock, type Clock } from '../internal/clock.js';
import type { AuthRecoveryEvent, CacheEvent } from '../cache/events.js';
import { emitSafely } from '../internal/emit.js';
import { resolveBackoff, retryDelays, type BackoffOptions } from '../internal/backoff.js';
import { checkNumber } from '../internal/options.js';
import type { SecretCache } from '../cache/secret-cache.js';
import { AWSCURRENT, AWSPENDING, type SecretVersion } from '../secrets-manager/secret-version.js';
import type { DatabaseSecret } from './parse.js';
import { isAuthenticationError } from './auth-errors.js';
import { untrustedPendingFields } from './pending-trust.js';

/** Options of {@link DbCredentials}. */
export interface DbCredentialsOptions<S extends DatabaseSecret> {
  /** The cache to read through. */
  cache: SecretCache;
  /** The secret's name or ARN. */
  secretId: string;
  /** Turns a version into validated credentials (`parseDocumentDbSecret`, `parseRedshiftSecret`). */
  parse: (version: SecretVersion, secretId: string) => S;
  /** How long to look for working credentials after an authentication failure. Default 30,000 ms. */
  recoveryBudgetMs?: number;
  /** Forced GetSecretValue calls per stage are at least this far apart. Default 1,000 ms. */
  minRefreshIntervalMs?: number;
  /** Waits between recovery rounds. Default { baseMs: 100, factor: 2, maxMs: 2,000 }. */
  backoff?: BackoffOptions;
  /** The time source for rate limits. Default `Date.now`. */
  clock?: Clock;
  /** Called with `auth-recovery` events. */
  onEvent?: (event: CacheEvent) => void;
}

type RecoveredFrom = AuthRecoveryEvent['recoveredFrom'];

class KeepLooking extends Error {}

/** What one recovery learnt along the way. */
interface RecoveryState {
  /** AWSPENDING versions it refused (reported once each), and why: the differing fields' names. */
  readonly refused: Map<string, readonly string[]>;
}

/**
 * Rotation-aware credentials for one database secret.
 *
 * `current()` gives the credentials to open a connection with. When the database rejects
 * them, `recoverAfterAuthFailure(failed)` finds the ones it now wants (DESIGN.md section 3):
 * a newer cached AWSCURRENT, else a forced AWSCURRENT refresh, else AWSPENDING (the rotation
 * is between setSecret and finishSecret), else it waits with jittered backoff and looks again
 * until `recoveryBudgetMs` is spent, then throws AuthenticationRejectedError. An AWSPENDING
 * is used only when its engine, host, port and dbname equal AWSCURRENT's and its TLS is not
 * weaker (DESIGN.md 7.4); another one is reported as a `pending-refused` event and ignored.
 * Concurrent failures with one version share one recovery; forced refreshes are rate-limited.
 *
 * @example
 * ```ts
 * const creds = new DbCredentials({ cache, secretId: 'Applications/MyApp/Redshift', parse: parseRedshiftSecret });
 * const client = await creds.withRecovery(async (secret) => {
 *   const c = new pg.Client({ host: secret.host, user: secret.username, password: secret.password });
 *   await c.connect();
 *   return c;
 * });
 * ```
 */
export class DbCredentials<S extends DatabaseSecret = DatabaseSecret> {
  readonly secretId: string;
  readonly recoveryBudgetMs: number;
  readonly #cache: SecretCache;
  readonly #parse: DbCredentialsOptions<S>['parse'];
  readonly #minRefreshIntervalMs: number;
  readonly #backoff: Readonly<Required<BackoffOptions>>;
  readonly #clock: Clock;
  readonly #onEvent: ((event: CacheEvent) => void) | undefined;
  /**
   * Parsed per fetched version object, not per version id: the same version read again after
   * AWSCURRENT moved to it carries new versionStages, and the parsed credentials must show them.
   */
  readonly #parsed = new WeakMap<SecretVersion, S>();
  /** versionId → when the database last rejected it. */
  readonly #rejected = new Map<string, number>();
  readonly #recoveries = new Map<string, Promise<S>>();
  /** Per stage: when it was last read by force. */
  readonly #lastForcedAt = new Map<string, number>();
  /** Rejected versions whose recovery has had its one read outside the rate limit. */
  readonly #freeRoundTaken = new Set<string>();
  /**
   * AWSPENDING credentials a recovery found mid-rotation, and the AWSCURRENT version the
   * database rejected before them: new connections use `secret` for as long as the cache's
   * AWSCURRENT is still `over`, however long the rotation stalls.
   */
  #preferred: { secret: S; over: string } | undefined;

  constructor(options: DbCredentialsOptions<S>) {
    if (!options || typeof options.cache?.getSecretVersion !== 'function') {
      throw new InvalidOptionError('cache', 'must be a SecretCache');
    }
    if (typeof options.secretId !== 'string' || options.secretId === '') {
      throw new InvalidOptionError('secretId', 'must be a non-empty string');
    }
    if (typeof options.parse !== 'function') throw new InvalidOptionError('parse', 'must be a function');
    this.secretId = options.secretId;
    this.#cache = options.cache;
    this.#parse = options.parse;
    this.recoveryBudgetMs = checkNumber('recoveryBudgetMs', options.recoveryBudgetMs ?? 30_000, 0);
    this.#minRefreshIntervalMs = checkNumber('minRefreshIntervalMs', options.minRefreshIntervalMs ?? 1_000, 0);
    this.#backoff = resolveBackoff('backoff', options.backoff, { baseMs: 100, factor: 2, maxMs: 2_000 });
    const clock = options.clock ?? systemClock;
    if (typeof clock?.now !== 'function') throw new InvalidOptionError('clock', 'must have a now() method');
    if (options.onEvent !== undefined && typeof options.onEvent !== 'function') throw new InvalidOptionError('onEvent', 'must be a function');
    this.#clock = clock;
    this.#onEvent = options.onEvent;
  }

  /**
   * The credentials to open a new connection with: AWSCURRENT, unless the database has
   * rejected it and a recovery found the version it accepts (AWSPENDING during a rotation).
   *
   * @example
   * ```ts
   * const { host, port, username, password } = await creds.current();
   * ```
   */
  async current(): Promise<S> {
    const current = this.#toSecret(await this.#cache.getSecretVersion(this.secretId));
    const preferred = this.#preferred;
    if (preferred === undefined) return current;
    if (current.versionId === preferred.over && !this.#isRejected(preferred.secret.versionId)) {
      // The cache still holds the rejected AWSCURRENT: learn the stage move as soon as it happens
      // (rate-limited) instead of at the next TTL expiry.
      this.#forcedRead(AWSCURRENT, false).catch(() => undefined);
      return preferred.secret;
    }
    this.#preferred = undefined;
    return current;
  }

  /**
   * Finds credentials other than `failed` that the database may accept. Throws
   * AuthenticationRejectedError once the budget is spent without finding any.
   *
   * @example
   * ```ts
   * try { await connect(secret); } catch (err) {
   *   if (isAuthenticationError(err)) secret = await creds.recoverAfterAuthFailure(secret);
   * }
   * ```
   */
  recoverAfterAuthFailure(failed: S | string, options: { budgetMs?: number } = {}): Promise<S> {
    const failedId = typeof failed === 'string' ? failed : failed.versionId;
    this.#rejected.set(failedId, this.#clock.now());
    this.#pruneRejected();
    const running = this.#recoveries.get(failedId);
    if (running) return running;
    const recovery = this.#recover(failedId, options.budgetMs ?? this.recoveryBudgetMs).finally(() =>
      this.#recoveries.delete(failedId),
    );
    this.#recoveries.set(failedId, recovery);
    return recovery;
  }

  /**
   * Runs `attempt` with the current credentials; on an authentication failure recovers and
   * runs it again with what recovery found, within one recovery budget. Other errors pass
   * through unchanged.
   *
   * @example
   * ```ts
   * const client = await creds.withRecovery((secret) => connectWith(secret));
   * ```
   */
  async withRecovery<T>(attempt: (secret: S) => Promise<T>): Promise<T> {
    const startedAt = performance.now();
    let secret = await this.current();
    for (;;) {
      try {
        return await attempt(secret);
      } catch (err) {
        if (!isAuthenticationError(err)) throw err;
        const budgetMs = Math.max(0, this.recoveryBudgetMs - (performance.now() - startedAt));
        secret = await this.recoverAfterAuthFailure(secret, { budgetMs });
      }
    }
  }

  async #recover(failedId: string, budgetMs: number): Promise<S> {
    const state: RecoveryState = { refused: new Map() };
    try {
      const deadline = performance.now() + budgetMs;
      return await pRetry(() => this.#lookOnce(failedId, deadline, state), {
        retries: Number.POSITIVE_INFINITY,
        maxRetryTime: budgetMs,
        ...retryDelays(this.#backoff),
        shouldRetry: ({ error }) => error instanceof KeepLooking || (error as CredstageError).retryable === true,
      });
    } catch (err) {
      // Only a last look that found nothing new means "rejected"; a last look that could not reach
      // Secrets Manager (throttled, unavailable) ends with that retryable error, not a verdict.
      if (!(err instanceof KeepLooking)) throw err;
      const refused = [...state.refused].at(-1);
      throw new AuthenticationRejectedError({
        secretId: this.secretId,
        versionId: failedId,
        budgetMs,
        refusedPending: refused && { versionId: refused[0], differingFields: refused[1] },
      });
    }
  }

  /** One round of steps a to c; throws KeepLooking when nothing new was found. */
  async #lookOnce(failedId: string, deadline: number, state: RecoveryState): Promise<S> {
    // The failed version is never an answer, even once its rejection is no longer remembered:
    // p-retry's last look runs exactly at the budget's end, when that memory expires.
    const usable = (versionId: string): boolean => versionId !== failedId && !this.#isRejected(versionId);
    const cached = this.#cache.peek(this.secretId);
    if (cached && usable(cached.versionId)) return this.#adopt(cached, 'cached-current', failedId);
    const preferred = this.#preferred?.secret;
    if (preferred && usable(preferred.versionId)) return this.#adopt(preferred, 'pending', failedId);
    // The first round for a newly rejected version is news and goes out at once: back-to-back
    // rotations must not queue behind each other's rate limit. Later rounds are limited.
    const free = !this.#freeRoundTaken.has(failedId);
    if (free) this.#takeFreeRound(failedId);
    const current = await this.#forcedRead(AWSCURRENT, free, deadline);
    if (current && usable(current.versionId)) return this.#adopt(current, 'current', failedId);
    const pending = await this.#forcedRead(AWSPENDING, free, deadline);
    if (pending && usable(pending.versionId) && this.#trusted(pending, current ?? this.#cache.peek(this.secretId), failedId, state)) {
      return this.#adopt(pending, 'pending', failedId);
    }
    throw new KeepLooking();
  }

  /**
   * Whether `pending` is what a rotation of `current` (the AWSCURRENT just read) could have
   * produced. A refusal is reported once per recovery, and the recovery goes on as if there were
   * no AWSPENDING: AWSCURRENT may still move within the budget.
   */
  #trusted(pending: SecretVersion, current: SecretVersion | undefined, failedId: string, state: RecoveryState): boolean {
    // Nothing to compare with (the cache lost AWSCURRENT): not this round; the next one reads it.
    if (current === undefined) return false;
    const differingFields = untrustedPendingFields(this.#toSecret(pending), this.#toSecret(current));
    if (differingFields.length === 0) return true;
    if (!state.refused.has(pending.versionId)) {
      state.refused.set(pending.versionId, differingFields);
      emitSafely(this.#onEvent, {
        type: 'pending-refused',
        secretId: this.secretId,
        versionId: pending.versionId,
        failedVersionId: failedId,
        differingFields,
      });
    }
    return false;
  }

  /**
   * GetSecretValue for a stage, at most once per minRefreshIntervalMs unless `free`. Inside the
   * interval it waits for the interval to end when that fits before `deadline` (a
   * performance.now() time), rather than backing off past it; otherwise it answers with what
   * the cache holds.
   */
  async #forcedRead(versionStage: string, free: boolean, deadline?: number): Promise<SecretVersion | undefined> {
    const last = this.#lastForcedAt.get(versionStage);
    const waitMs = free || last === undefined ? 0 : last + this.#minRefreshIntervalMs - this.#clock.now();
    if (waitMs > 0) {
      if (deadline === undefined || performance.now() + waitMs > deadline) return this.#cache.peek(this.secretId, { versionStage });
      await sleep(waitMs);
    }
    this.#lastForcedAt.set(versionStage, this.#clock.now());
    try {
      return await this.#cache.refresh(this.secretId, { versionStage });
    } catch (err) {
      // No AWSPENDING simply means no rotation is under way.
      if (versionStage === AWSPENDING && err instanceof SecretNotFoundError) return undefined;
      throw err;
    }
  }

  #adopt(found: SecretVersion | S, from: RecoveredFrom, failedId: string): S {
    const secret = 'password' in found ? (found as S) : this.#toSecret(found as SecretVersion);
    // Preferred while the cache's AWSCURRENT is still the one it holds now (the rejected one).
    if (from === 'pending') this.#preferred = { secret, over: this.#cache.peek(this.secretId)?.versionId ?? failedId };
    emitSafely(this.#onEvent, {
      type: 'auth-recovery',
      secretId: this.secretId,
      versionId: secret.versionId,
      failedVersionId: failedId,
      recoveredFrom: from,
    });
    return secret;
  }

  #toSecret(version: SecretVersion): S {
    let secret = this.#parsed.get(version);
    if (secret === undefined) {
      secret = this.#parse(version, this.secretId);
      this.#parsed.set(version, secret);
    }
    return secret;
  }

  /** A rejection is remembered for one recovery budget: a version's password never changes, but a transient rejection may. */
  #isRejected(versionId: string): boolean {
    const at = this.#rejected.get(versionId);
    return at !== undefined && this.#clock.now() - at < Math.max(this.recoveryBudgetMs, 1_000);
  }

  #takeFreeRound(failedId: string): void {
    this.#freeRoundTaken.add(failedId);
    // Versions are few (one per rotation); forget the oldest beyond a handful.
    if (this.#freeRoundTaken.size > 32) this.#freeRoundTaken.delete(this.#freeRoundTaken.values().next().value!);
  }

  #pruneRejected(): void {
    if (this.#rejected.size < 16) return;
    for (const [versionId] of this.#rejected) if (!this.#isRejected(versionId)) this.#rejected.delete(versionId);
  }
}
