import type { CredstageError } from '../errors.js';

/**
 * What a cache lookup asked for: a stage (the default, `AWSCURRENT`) or a version id. Exactly
 * one of the two is set on the events of a lookup.
 */
interface LookupFields {
  secretId: string;
  versionStage?: string | undefined;
  /** On `miss` and `error`, the version id asked for (when the lookup named one). */
  versionId?: string | undefined;
}

/** Served a fresh cached value. `versionId` is the version served. */
export interface CacheHitEvent extends LookupFields {
  type: 'hit';
  versionId: string;
}

/** No usable value; the caller waits for Secrets Manager. */
export interface CacheMissEvent extends LookupFields {
  type: 'miss';
}

/** Served a value past its TTL (within maxStale) while a refresh runs. */
export interface CacheStaleServedEvent extends LookupFields {
  type: 'stale-served';
  versionId: string;
}

/** A GetSecretValue completed: `versionId` is what it returned, `previousVersionId` what was cached. */
export interface CacheRefreshEvent extends LookupFields {
  type: 'refresh';
  versionId: string;
  previousVersionId: string | undefined;
  /** True for a refresh no caller waits on (a stale value was served meanwhile). */
  background: boolean;
}

/** A GetSecretValue failed; `servingStale` tells whether callers still get a value. */
export interface CacheErrorEvent extends LookupFields {
  type: 'error';
  error: CredstageError;
  background: boolean;
  servingStale: boolean;
  previousVersionId: string | undefined;
}

/** The database rejected `failedVersionId`; `versionId` is what credstage tries next. */
export interface AuthRecoveryEvent {
  type: 'auth-recovery';
  secretId: string;
  versionId: string;
  failedVersionId: string;
  /** Which step found the version to try. */
  recoveredFrom: 'cached-current' | 'current' | 'pending';
}

/**
 * After `failedVersionId` was rejected, recovery found AWSPENDING `versionId` but will not use
 * it: `differingFields` (engine, host, port, dbname; ssl when its TLS is weaker) differ from
 * AWSCURRENT's, so no rotation of this secret produced it. Sent once per recovery; recovery goes
 * on as if there were no AWSPENDING.
 */
export interface PendingRefusedEvent {
  type: 'pending-refused';
  secretId: string;
  versionId: string;
  failedVersionId: string;
  /** The names (never the values) of the fields that made AWSPENDING untrusted. */
  differingFields: readonly string[];
}

/**
 * An event from {@link SecretCache} or {@link DbCredentials}; narrow it by `type`. Never carries
 * a secret value.
 *
 * @example
 * ```ts
 * const cache = new SecretCache({
 *   onEvent: (event) => {
 *     if (event.type === 'error' && !event.servingStale) alert(event.secretId, event.error.code);
 *   },
 * });
 * ```
 */
export type CacheEvent =
  | CacheHitEvent
  | CacheMissEvent
  | CacheStaleServedEvent
  | CacheRefreshEvent
  | CacheErrorEvent
  | AuthRecoveryEvent
  | PendingRefusedEvent;

/** What happened in a cache or a credentials object: the `type` of a {@link CacheEvent}. */
export type CacheEventType = CacheEvent['type'];
