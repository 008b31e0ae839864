import type { CredstageError } from '../errors.js';

/** What happened in a cache or a credentials object. Never carries a secret value. */
export type CacheEventType = 'hit' | 'miss' | 'stale-served' | 'refresh' | 'error' | 'auth-recovery' | 'pending-refused';

/**
 * An event from {@link SecretCache} or {@link DbCredentials}.
 *
 * - `hit`: served a fresh cached value.
 * - `miss`: no usable value; the caller waits for Secrets Manager.
 * - `stale-served`: served a value past its TTL (within maxStale) while a refresh runs.
 * - `refresh`: a GetSecretValue completed; `versionId` is what it returned, `previousVersionId` what was cached.
 * - `error`: a GetSecretValue failed; `servingStale` tells whether callers still get a value.
 * - `auth-recovery`: the database rejected `failedVersionId`; `versionId` is what credstage tries next.
 * - `pending-refused`: after `failedVersionId` was rejected, recovery found AWSPENDING `versionId`
 *   but will not use it: `differingFields` (engine, host, port, dbname; ssl when its TLS is
 *   weaker) differ from AWSCURRENT's, so no rotation of this secret produced it. Sent once per
 *   recovery; recovery goes on as if there were no AWSPENDING.
 */
export interface CacheEvent {
  type: CacheEventType;
  secretId: string;
  versionStage?: string | undefined;
  versionId?: string | undefined;
  previousVersionId?: string | undefined;
  failedVersionId?: string | undefined;
  /** For auth-recovery: which step found the version to try (cached-current, current, pending). */
  recoveredFrom?: 'cached-current' | 'current' | 'pending' | undefined;
  /** For pending-refused: the names (never the values) of the fields that made AWSPENDING untrusted. */
  differingFields?: readonly string[] | undefined;
  background?: boolean | undefined;
  servingStale?: boolean | undefined;
  error?: CredstageError | undefined;
}
