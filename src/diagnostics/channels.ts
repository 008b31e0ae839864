/**
 * The `node:diagnostics_channel` names credstage publishes on, and the shape of each message.
 * Nothing here imports the rest of credstage: every layer may publish, and the OpenTelemetry
 * bridge (`credstage/opentelemetry`) reads only these types.
 *
 * No message ever holds a secret value: ids, stages, usernames, hosts, codes and durations only.
 */

/**
 * The channel names. Subscribe with `diagnostics_channel.subscribe(CHANNELS.login, fn)` (plain
 * channels) or `diagnostics_channel.tracingChannel(CHANNELS.rotationStep).subscribe({...})` (the
 * one tracing channel). A subscriber runs synchronously inside credstage; Node reports what it
 * throws as an uncaught exception, so it must not throw.
 *
 * | name | kind | message |
 * | --- | --- | --- |
 * | `credstage:cache` | channel | {@link CacheMessage} |
 * | `credstage:secrets-manager:call` | channel | {@link SecretsManagerCallMessage} |
 * | `credstage:login` | channel | {@link LoginMessage} |
 * | `credstage:recovery` | channel | {@link RecoveryMessage} |
 * | `credstage:documentdb:client` | channel | {@link DocumentDbClientMessage} |
 * | `credstage:rotation:step` | tracing channel (`tracing:credstage:rotation:step:start`, `…:asyncEnd`, `…:error`) | {@link RotationStepMessage} |
 * | `credstage:scheduler` | channel | {@link SchedulerMessage} |
 *
 * @example
 * ```ts
 * import diagnostics_channel from 'node:diagnostics_channel';
 * import { CHANNELS, type SecretsManagerCallMessage } from 'credstage';
 *
 * diagnostics_channel.subscribe(CHANNELS.secretsManagerCall, (message) => {
 *   const call = message as SecretsManagerCallMessage;
 *   if (call.outcome === 'error') console.warn(call.api, call.secretId, call.errorCode);
 * });
 * ```
 */
export const CHANNELS = Object.freeze({
  cache: 'credstage:cache',
  secretsManagerCall: 'credstage:secrets-manager:call',
  login: 'credstage:login',
  recovery: 'credstage:recovery',
  documentDbClient: 'credstage:documentdb:client',
  rotationStep: 'credstage:rotation:step',
  scheduler: 'credstage:scheduler',
} as const);

/** One of the {@link CHANNELS} names. */
export type ChannelName = (typeof CHANNELS)[keyof typeof CHANNELS];

/** What a cache lookup asked for: a stage (`AWSCURRENT` by default) or a version id. */
interface CacheLookup {
  secretId: string;
  versionStage?: string | undefined;
  versionId?: string | undefined;
}

/**
 * On `credstage:cache`: one lookup or fetch of a {@link SecretCache}. `hit`: a fresh cached value;
 * `miss`: the caller waits for Secrets Manager; `stale-served`: a value past its TTL served while
 * a background refresh runs; `refresh`: a GetSecretValue completed; `error`: one failed
 * (`errorCode` is the credstage error code, `servingStale` whether callers still get a value).
 */
export type CacheMessage =
  | (CacheLookup & { type: 'hit'; versionId: string })
  | (CacheLookup & { type: 'miss' })
  | (CacheLookup & { type: 'stale-served'; versionId: string })
  | (CacheLookup & { type: 'refresh'; versionId: string; previousVersionId: string | undefined; background: boolean })
  | (CacheLookup & {
      type: 'error';
      errorCode: string;
      retryable: boolean;
      background: boolean;
      servingStale: boolean;
      previousVersionId: string | undefined;
    });

/**
 * On `credstage:secrets-manager:call`: one request credstage sent to Secrets Manager, after its
 * answer. `api` is the operation (`GetSecretValue`, `DescribeSecret`, `PutSecretValue`,
 * `UpdateSecretVersionStage`, `GetRandomPassword`, `ListSecretVersionIds`); `errorCode` the AWS
 * error name (`ThrottlingException`, `ResourceNotFoundException`, ...) or the Node error code of
 * a network failure. `versionId` is the VersionId or ClientRequestToken the request named.
 * `durationMs` is wall time (performance.now()).
 */
export interface SecretsManagerCallMessage {
  api: string;
  secretId: string | undefined;
  versionStage: string | undefined;
  versionId: string | undefined;
  outcome: 'ok' | 'error';
  errorCode: string | undefined;
  durationMs: number;
}

/**
 * On `credstage:login`: one login by a connection factory (`client`): a pg connection (Redshift)
 * or a MongoClient (DocumentDB) opened with the credentials of `versionId`. `outcome`: `ok`,
 * `rejected` (the database refused the password) or `error` (anything else; `errorCode` is the
 * SQLSTATE, MongoDB code or Node error code when there is one). The same fields as the factories'
 * `login` event (`LoginEvent`), plus `client`.
 */
export interface LoginMessage {
  type: 'login';
  client: 'documentdb' | 'redshift';
  secretId: string;
  versionId: string;
  username: string;
  host: string;
  port: number;
  durationMs: number;
  outcome: 'ok' | 'rejected' | 'error';
  errorCode?: string | undefined;
}

/**
 * On `credstage:recovery`: one recovery after the database rejected `failedVersionId`, shared by
 * every caller that hit the rejection. `recovered`: `versionId` is what it found and
 * `recoveredFrom` where (the cache's newer AWSCURRENT, a fresh AWSCURRENT, or AWSPENDING —
 * a rotation mid-flight); `rejected`: the budget ran out with nothing new
 * (AuthenticationRejectedError); `error`: Secrets Manager could not be read (`errorCode`).
 * `durationMs` is on the credentials' clock.
 */
export interface RecoveryMessage {
  secretId: string;
  failedVersionId: string;
  outcome: 'recovered' | 'rejected' | 'error';
  recoveredFrom: 'cached-current' | 'current' | 'pending' | undefined;
  versionId: string | undefined;
  errorCode: string | undefined;
  durationMs: number;
}

/**
 * On `credstage:documentdb:client`: the MongoClients of a DocumentDB client. `open`: one was
 * built (it counts as open until `closed`, also when its login then fails); `closed`: one was
 * closed (retired after a switch, a failed login, or `close()`); `switch`: operations moved to
 * generation `generation` (`reason` as in the `client-switch` event).
 */
export type DocumentDbClientMessage =
  | { type: 'open'; secretId: string; generation: number; versionId: string; username: string }
  | { type: 'closed'; secretId: string; generation: number }
  | {
      type: 'switch';
      secretId: string;
      generation: number;
      versionId: string;
      previousVersionId: string;
      username: string;
      reason: 'auth-failure' | 'current-changed';
    };

/**
 * The context of the `credstage:rotation:step` tracing channel: one rotation step
 * (`createSecret`, `setSecret`, `testSecret`, `finishSecret`) of the engine (rotateSecret, the
 * Lambda handler, the scheduler). `start` has the first three fields; by `asyncEnd` (and `error`)
 * the step has set `outcome` and `durationMs` (on the engine's clock), and Node has set `error`
 * (a RotationError, whose `code` is also in `errorCode`) or `result`.
 */
export interface RotationStepMessage {
  secretId: string;
  clientRequestToken: string;
  step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
  outcome?: 'done' | 'skipped' | 'failed';
  durationMs?: number;
  errorCode?: string | undefined;
  error?: unknown;
  result?: unknown;
}

/**
 * On `credstage:scheduler`: a decision or outcome of a RotationScheduler — the same objects its
 * `onEvent` receives (`SchedulerEvent` of `credstage/rotation`): `rotation-started`, `step`,
 * `rotation-succeeded`, `rotation-failed`, `retry`, `overdue`, `skipped`, `error`.
 */
export interface SchedulerMessage {
  type: 'rotation-started' | 'step' | 'rotation-succeeded' | 'rotation-failed' | 'retry' | 'overdue' | 'skipped' | 'error';
  secretId: string;
  at: Date;
  clientRequestToken?: string;
  /** `rotation-started`: the plan's action; `skipped`: why. */
  reason?: string;
  dueAt?: Date;
  step?: string;
  durationMs?: number;
  attempt?: number;
  error?: { code: string; message: string };
}
