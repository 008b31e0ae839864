/**
 * `credstage`: the stage-keyed secret cache, rotation-aware database credentials and the
 * typed errors. Connection factories live in `credstage/documentdb` and `credstage/redshift`,
 * the rotation engine in `credstage/rotation`.
 */
export { SecretCache } from './cache/secret-cache.js';
export type { CacheStats } from './cache/secret-cache.js';
export { CACHE_DEFAULTS } from './cache/options.js';
export type { SecretCacheOptions } from './cache/options.js';
export type { BackoffOptions } from './internal/backoff.js';
export type {
  CacheEvent,
  CacheEventType,
  CacheHitEvent,
  CacheMissEvent,
  CacheStaleServedEvent,
  CacheRefreshEvent,
  CacheErrorEvent,
  AuthRecoveryEvent,
  PendingRefusedEvent,
} from './cache/events.js';
export type { LoginEvent, LoginSucceededEvent, LoginFailedEvent } from './credentials/login-event.js';
export { SecretVersion, AWSCURRENT, AWSPENDING, AWSPREVIOUS } from './secrets-manager/secret-version.js';
export type { VersionSelector, SecretVersionMetadata } from './secrets-manager/secret-version.js';
export { createSecretsManagerClient } from './secrets-manager/client.js';
export type { SecretsManagerLike } from './secrets-manager/client.js';
export { DbCredentials, DB_CREDENTIALS_DEFAULTS } from './credentials/db-credentials.js';
export type { DbCredentialsOptions } from './credentials/db-credentials.js';
export { parseDocumentDbSecret, parseRedshiftSecret, MAX_SECRET_BYTES } from './credentials/parse.js';
export type { DatabaseSecret, DocumentDbSecret, RedshiftSecret, DatabaseEngine } from './credentials/parse.js';
export { isAuthenticationError } from './credentials/auth-errors.js';
export * from './errors.js';
export type { Clock, RandomSource } from './internal/clock.js';
export { DEFAULT_RECOVERY_BUDGET_MS } from './internal/options.js';
export type { SecretsManagerChoice } from './secrets-manager/client.js';
export type { CacheChoice } from './cache/cache-choice.js';
export { CHANNELS } from './diagnostics/channels.js';
export type {
  ChannelName,
  CacheMessage,
  SecretsManagerCallMessage,
  LoginMessage,
  RecoveryMessage,
  DocumentDbClientMessage,
  RotationStepMessage,
  SchedulerMessage,
} from './diagnostics/channels.js';
