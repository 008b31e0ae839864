import type { CredstageError } from '../errors.js';

/** What happened in a cache or a credentials object. Never carries a secret value. */
export type CacheEventType = 'hit' | 'miss' | 'stale-served' | 'refresh' | 'error' | 'auth-recovery';

/**
 * An event from {@link SecretCache} or {@link DbCredentials}.
 *
 * - `hit`: served a fresh cached value.
 * - `miss`: no usable value; the caller waits for Secrets Manager.
 * - `stale-served`: served a value past its TTL (within maxStale) while a refresh runs.
 * - `refresh`: a GetSecretValue completed; `versionId` is what it returned, `previousVersionId` what was cached.
 * - `error`: a GetSecretValue failed; `servingStale` tells whether callers still get a value.
 * - `auth-recovery`: the database rejected `failedVersionId`; `versionId` is what credstage tries next.
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
  background?: boolean | undefined;
  servingStale?: boolean | undefined;
  error?: CredstageError | undefined;
}

/** Calls `listener` and swallows what it throws: a broken listener must not break the caller. */
export function emitSafely<E>(listener: ((event: E) => void) | undefined, event: E): void {
  if (listener === undefined) return;
  try {
    listener(event);
  } catch {
    // A listener's failure is its own; the caller keeps going.
  }
}
