import { AuthenticationRejectedError, CredstageError, InvalidOptionError, SecretNotFoundError, ThrottledError } from '../errors.js';
import { checkClock, monotonicMs, sleepOn, type Clock, type RandomSource } from '../internal/clock.js';
import type { AuthRecoveryEvent, CacheEvent } from '../cache/events.js';
import { emitSafely } from '../internal/emit.js';
import { noteRecoveredFrom, traceRecovery } from '../diagnostics/publish.js';
import { backoffDelayMs, resolveBackoff, throttledDelayMs, type BackoffOptions } from '../internal/backoff.js';
import { checkFunction, checkNumber, DEFAULT_RECOVERY_BUDGET_MS, isPlainObject, refuseUnknownKeys, type KnownKeys } from '../internal/options.js';
import type { SecretCache } from '../cache/secret-cache.js';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS, type SecretVersion } from '../secrets-manager/secret-version.js';
import type { DatabaseSecret } from './parse.js';
import { isAuthenticationError } from './auth-errors.js';
import { untrustedPendingFields } from './pending-trust.js';
import { fleetPolicy } from '../internal/fleet-policy.js';

/** Options of {@link DbCredentials}. */
export interface DbCredentialsOptions<S extends DatabaseSecret> {
  /** The cache to read through. */
  cache: SecretCache;
  /** The secret's name or ARN. */
  secretId: string;
  /** Turns a version into validated credentials (`parseDocumentDbSecret`, `parseRedshiftSecret`). */
  parse: (version: SecretVersion, secretId: string) => S;
  /** How long to look for working credentials after an authentication failure. Default {@link DEFAULT_RECOVERY_BUDGET_MS} (30,000 ms). */
  recoveryBudgetMs?: number;
  /** Forced GetSecretValue calls per stage are at least this far apart. Default 1,000 ms. */
  minRefreshIntervalMs?: number;
  /** Waits between recovery rounds. Default {@link DB_CREDENTIALS_DEFAULTS}`.backoff` ({ baseMs: 100, factor: 2, maxMs: 2,000 }). */
  backoff?: BackoffOptions;
  /**
   * The time source: `now()` for rate limits and remembered rejections, `monotonicMs()` for the
   * recovery budget, `sleep()` (when given) for the waits between rounds. Default the system clock.
   */
  clock?: Clock;
  /** The random source of the backoff jitter. Default `Math.random`. */
  random?: RandomSource;
  /** Called with `auth-recovery` events. */
  onEvent?: (event: CacheEvent) => void;
}

/**
 * The defaults of {@link DbCredentialsOptions}, frozen.
 *
 * @example
 * ```ts
 * new DbCredentials({ cache, secretId, parse, recoveryBudgetMs: DB_CREDENTIALS_DEFAULTS.recoveryBudgetMs * 2 });
 * ```
 */
export const DB_CREDENTIALS_DEFAULTS = Object.freeze({
  recoveryBudgetMs: DEFAULT_RECOVERY_BUDGET_MS,
  minRefreshIntervalMs: 1_000,
  backoff: Object.freeze({ baseMs: 100, factor: 2, maxMs: 2_000 }),
});

const CREDENTIALS_KEYS: KnownKeys<DbCredentialsOptions<DatabaseSecret>> = {
  cache: true, secretId: true, parse: true, recoveryBudgetMs: true, minRefreshIntervalMs: true, backoff: true, clock: true, random: true, onEvent: true,
};

type RecoveredFrom = AuthRecoveryEvent['recoveredFrom'];

class KeepLooking extends Error {}

/**
 * Whether `pending` cannot be a rotation of `held` (the AWSCURRENT this process holds): it is
 * AWSPREVIOUS too (AWSCURRENT has moved past it since), or it is older than `held`. Such an
 * AWSPENDING is left behind (an abandoned createSecret, a label AWS's templates leave on the
 * version they finished) while the password was changed another way; trying it against the
 * database is one more rejected login per process, and the fresh AWSCURRENT answers instead.
 */
function isLeftover(pending: SecretVersion, held: SecretVersion): boolean {
  if (pending.versionStages.includes(AWSPREVIOUS)) return true;
  const pendingAt = pending.createdDate?.getTime();
  const heldAt = held.createdDate?.getTime();
  return pendingAt !== undefined && heldAt !== undefined && pendingAt < heldAt;
}

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
  readonly #random: RandomSource;
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
  /** The policies before issue 13 (bench/fleet.ts compares them); never set in production. */
  readonly #legacy = fleetPolicy.legacy;

  constructor(options: DbCredentialsOptions<S>) {
    if (!isPlainObject(options as unknown)) throw new InvalidOptionError('options', 'must be an object');
    refuseUnknownKeys('', options, CREDENTIALS_KEYS, 'DbCredentials');
    if (typeof options.cache?.getSecretVersion !== 'function') throw new InvalidOptionError('cache', 'must be a SecretCache');
    if (typeof options.secretId !== 'string' || options.secretId === '') {
      throw new InvalidOptionError('secretId', 'must be a non-empty string');
    }
    if (typeof options.parse !== 'function') throw new InvalidOptionError('parse', 'must be a function');
    this.secretId = options.secretId;
    this.#cache = options.cache;
    this.#parse = options.parse;
    this.recoveryBudgetMs = checkNumber('recoveryBudgetMs', options.recoveryBudgetMs ?? DB_CREDENTIALS_DEFAULTS.recoveryBudgetMs, 0);
    this.#minRefreshIntervalMs = checkNumber('minRefreshIntervalMs', options.minRefreshIntervalMs ?? DB_CREDENTIALS_DEFAULTS.minRefreshIntervalMs, 0);
    this.#backoff = resolveBackoff('backoff', options.backoff, DB_CREDENTIALS_DEFAULTS.backoff);
    this.#clock = checkClock('clock', options.clock);
    this.#random = checkFunction('random', options.random) ?? Math.random;
    this.#onEvent = checkFunction('onEvent', options.onEvent);
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
      // The cache still holds the rejected AWSCURRENT. The stage move is learnt from the cache's
      // own TTL refresh: a forced read here, once a second per process for as long as a rotation
      // stalls, was a whole fleet's GetSecretValue quota spent to learn nothing new (the
      // preferred credentials are the ones the database accepts).
      if (this.#legacy) this.#forcedRead(AWSCURRENT, false).catch(() => undefined);
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
    const recovery = traceRecovery(this, this.#clock, this.secretId, failedId, () => this.#recover(failedId, options.budgetMs ?? this.recoveryBudgetMs)).finally(() =>
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
    const startedAt = monotonicMs(this.#clock);
    let secret = await this.current();
    for (;;) {
      try {
        return await attempt(secret);
      } catch (err) {
        if (!isAuthenticationError(err)) throw err;
        const budgetMs = Math.max(0, this.recoveryBudgetMs - (monotonicMs(this.#clock) - startedAt));
        secret = await this.recoverAfterAuthFailure(secret, { budgetMs });
      }
    }
  }

  async #recover(failedId: string, budgetMs: number): Promise<S> {
    const state: RecoveryState = { refused: new Map() };
    try {
      return await this.#lookUntil(failedId, monotonicMs(this.#clock) + budgetMs, state);
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

  /**
   * Looks round after round, with jittered backoff between rounds, until a round finds
   * credentials or `deadline` (a monotonic reading) passes. The last wait is cut to end exactly
   * at the deadline and one last round runs then. Waits and readings are on the injected clock
   * (p-retry's own timers could not be driven by a fake one).
   */
  async #lookUntil(failedId: string, deadline: number, state: RecoveryState): Promise<S> {
    for (let retriesDone = 0; ; retriesDone++) {
      try {
        return await this.#lookOnce(failedId, deadline, state);
      } catch (err) {
        const again = err instanceof KeepLooking || (err as CredstageError).retryable === true;
        const leftMs = deadline - monotonicMs(this.#clock);
        if (!again || leftMs <= 0) throw err;
        // Throttling is the fleet's signal, not this process's: every process of the account is
        // being turned away this second, and a retry within it only adds to the crowd.
        const throttled = !this.#legacy && err instanceof ThrottledError;
        const delayMs = throttled ? throttledDelayMs(retriesDone, this.#random, this.#backoff.maxMs) : backoffDelayMs(this.#backoff, retriesDone, this.#random);
        const waitMs = Math.min(delayMs, leftMs);
        if (waitMs > 0) await sleepOn(this.#clock, waitMs);
      }
    }
  }

  /** One round of steps a to c; throws KeepLooking when nothing new was found. */
  async #lookOnce(failedId: string, deadline: number, state: RecoveryState): Promise<S> {
    // The failed version is never an answer, even once its rejection is no longer remembered:
    // p-retry's last look runs exactly at the budget's end, when that memory expires.
    const usable = (versionId: string): boolean => versionId !== failedId && !this.#isRejected(versionId);
    const cached = this.#cache.peek(this.secretId);
    // The cached AWSCURRENT a preferred version was found over is one the database rejected
    // before it (its memory of that may have expired since): with no forced AWSCURRENT read while
    // preferring, the cache may still hold it when the next rotation rejects the preferred one.
    const supplanted = cached !== undefined && cached.versionId === this.#preferred?.over;
    if (cached && !supplanted && usable(cached.versionId)) return this.#adopt(cached, 'cached-current', failedId);
    const preferred = this.#preferred?.secret;
    if (preferred && usable(preferred.versionId)) return this.#adopt(preferred, 'pending', failedId);
    // The first round for a newly rejected version is news and goes out at once: back-to-back
    // rotations must not queue behind each other's rate limit. Later rounds are limited.
    const free = !this.#freeRoundTaken.has(failedId);
    if (free) this.#takeFreeRound(failedId);
    // AWSPENDING first for a single-user secret (see #answeredByPending). An alternating-users
    // secret (it names its admin in `masterarn`) reads AWSCURRENT first, as before issue 13: there
    // a rejection means this process held a version a whole rotation old, AWSCURRENT names the
    // other user, whose password is not being changed, and it answers in one read too.
    const pendingFirst = !this.#legacy && this.#cachedSecret()?.masterarn === undefined;
    let pending = pendingFirst ? await this.#forcedRead(AWSPENDING, free, deadline) : undefined;
    const answer = pending && this.#answeredByPending(pending, failedId, usable);
    if (answer) return answer;
    const current = await this.#forcedRead(AWSCURRENT, free, deadline);
    if (current && usable(current.versionId)) return this.#adopt(current, 'current', failedId);
    if (!pendingFirst) pending = await this.#forcedRead(AWSPENDING, free, deadline);
    if (pending && usable(pending.versionId) && this.#trusted(pending, current ?? this.#cache.peek(this.secretId), failedId, state)) {
      return this.#adopt(pending, 'pending', failedId);
    }
    throw new KeepLooking();
  }

  /**
   * Whether the AWSPENDING just read answers on its own. It is the first read after a rejection
   * because it answers both moments a rejection comes from with one call. Between setSecret and
   * finishSecret it is the version the database now accepts; after finishSecret credstage's
   * engine leaves it on the version AWSCURRENT moved to, and its stages say so. Reading
   * AWSCURRENT first cost a fleet two reads per process for every rotation, all in the second
   * after setSecret. Adopted here only when it is AWSCURRENT too, or trusted against the
   * AWSCURRENT this process holds; anything else (no AWSPENDING, as after a rotation that removed
   * the label, a version not usable, one the trust rules would refuse) goes on to the AWSCURRENT
   * read, where the rules decide against the fresh AWSCURRENT as before and report a refusal.
   */
  #answeredByPending(pending: SecretVersion, failedId: string, usable: (versionId: string) => boolean): S | undefined {
    if (!usable(pending.versionId)) return undefined;
    if (pending.versionStages.includes(AWSCURRENT)) return this.#adoptAsCurrent(pending, failedId);
    const held = this.#cache.peek(this.secretId);
    const parsed = this.#parsedOrUndefined(pending);
    if (held === undefined || parsed === undefined || isLeftover(pending, held) || untrustedPendingFields(parsed, this.#toSecret(held)).length > 0) return undefined;
    return this.#adopt(parsed, 'pending', failedId);
  }

  /**
   * A version read through AWSPENDING that is AWSCURRENT as well: the cache's AWSCURRENT entry
   * still holds the rejected version until its TTL refresh, so new connections prefer this one
   * meanwhile (as they would a pending one), instead of reading AWSCURRENT again.
   */
  #adoptAsCurrent(version: SecretVersion, failedId: string): S {
    const secret = this.#adopt(version, 'current', failedId);
    const held = this.#cache.peek(this.secretId)?.versionId;
    if (held !== undefined && held !== secret.versionId) this.#preferred = { secret, over: held };
    return secret;
  }

  /**
   * Whether `pending` is what a rotation of `current` (the AWSCURRENT just read) could have
   * produced. A refusal is reported once per recovery, and the recovery goes on as if there were
   * no AWSPENDING: AWSCURRENT may still move within the budget.
   */
  #trusted(pending: SecretVersion, current: SecretVersion | undefined, failedId: string, state: RecoveryState): boolean {
    // Nothing to compare with (the cache lost AWSCURRENT): not this round; the next one reads it.
    if (current === undefined) return false;
    // An AWSPENDING that is no database secret (a createSecret that failed half-way, another
    // tool's label) is as good as none: AWSCURRENT may still move within the budget.
    const parsed = this.#parsedOrUndefined(pending);
    if (parsed === undefined) return false;
    const differingFields = untrustedPendingFields(parsed, this.#toSecret(current));
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
   * interval it waits for the interval to end when that fits before `deadline` (a monotonic
   * reading of the clock), rather than backing off past it; otherwise it answers with what
   * the cache holds.
   */
  async #forcedRead(versionStage: string, free: boolean, deadline?: number): Promise<SecretVersion | undefined> {
    const last = this.#lastForcedAt.get(versionStage);
    const waitMs = free || last === undefined ? 0 : last + this.#minRefreshIntervalMs - this.#clock.now();
    if (waitMs > 0) {
      if (deadline === undefined || monotonicMs(this.#clock) + waitMs > deadline) return this.#cache.peek(this.secretId, { versionStage });
      await sleepOn(this.#clock, waitMs);
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
    emitSafely(this.#onEvent, noteRecoveredFrom(this, {
      type: 'auth-recovery',
      secretId: this.secretId,
      versionId: secret.versionId,
      failedVersionId: failedId,
      recoveredFrom: from,
    }));
    return secret;
  }

  /** The cached AWSCURRENT, parsed; undefined when the cache holds none or it does not parse. */
  #cachedSecret(): S | undefined {
    const held = this.#cache.peek(this.secretId);
    return held && this.#parsedOrUndefined(held);
  }

  /** `version` parsed, or undefined when it is no valid secret of this kind. */
  #parsedOrUndefined(version: SecretVersion): S | undefined {
    try {
      return this.#toSecret(version);
    } catch {
      return undefined;
    }
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
