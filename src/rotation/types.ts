import type { SecretsManagerChoice } from '../secrets-manager/client.js';
import type { Clock } from '../internal/clock.js';
import type { DatabaseAdapter } from './adapters/types.js';
import type { PasswordPolicy } from './password-policy.js';

/**
 * The four steps of Secrets Manager's rotation protocol, in order.
 *
 * @example
 * ```ts
 * for (const Step of ROTATION_STEPS) await runRotationStep({ SecretId, ClientRequestToken, Step }, { selfHosted: true });
 * ```
 */
export const ROTATION_STEPS = Object.freeze(['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const);

/** One step of the rotation protocol. */
export type RotationStepName = (typeof ROTATION_STEPS)[number];

/**
 * How the password changes. `single-user`: the user changes its own password (a short window
 * where only AWSPENDING logs in, bridged by credstage's recovery). `alternating-users`: an admin
 * (the secret's `masterarn`) re-passwords the other of `<user>` / `<user>_clone`, so the user in
 * AWSCURRENT keeps working throughout.
 */
export type RotationStrategyName = 'single-user' | 'alternating-users';

/** What one step did. `detail` is for people and logs; it never holds a secret value. */
export interface StepReport {
  readonly step: RotationStepName;
  /** `done`: the step changed something or ran its test; `skipped`: already done under this token. */
  readonly outcome: 'done' | 'skipped' | 'failed';
  readonly durationMs: number;
  readonly detail: string;
  /**
   * Something the step did that the secret asked for but that weakens security: today, sending a
   * new password over a connection without TLS (the secret says `"ssl": false`). At most one per
   * rotation, on the step where it first happened. Never holds a secret value.
   */
  readonly warning?: string;
}

/**
 * Options shared by {@link rotateSecret}, {@link runRotationStep} and {@link createRotationHandler}.
 * The Secrets Manager client is `secretsManager` (a SecretsManagerClient or anything with its
 * `send()`, e.g. InMemorySecretsManager), or one built from `secretsManagerConfig` (3 attempts
 * by default), never both.
 */
export type RotationEngineOptions = RotationEngineOwnOptions & SecretsManagerChoice;

/** The engine options besides the Secrets Manager client. */
export interface RotationEngineOwnOptions {
  /** Default `single-user`. */
  strategy?: RotationStrategyName;
  /** Length and exclusions of new passwords, on top of the engine's own rules. */
  passwordPolicy?: PasswordPolicy;
  /** Connection timeout of every database login. Default 5,000 ms. */
  connectTimeoutMs?: number;
  /** Timeout of every database query. Default 30,000 ms. */
  queryTimeoutMs?: number;
  /**
   * PEM file with the CA that signed the database's certificate (DocumentDB and RDS:
   * `global-bundle.pem`; Redshift needs none). For Redshift/PostgreSQL a given file means TLS
   * verified with it, as the factories' `ssl: { ca }` does.
   */
  tlsCAFile?: string;
  /**
   * Replaces the engine's own adapter (DocumentDB over `mongodb`, Redshift/PostgreSQL over `pg`):
   * for another database, or a fake one in tests.
   */
  adapter?: DatabaseAdapter;
  /** Called as each step finishes (also when it fails). A throwing callback is ignored. */
  onStep?: (report: StepReport) => void;
  /** Times step durations (`monotonicMs()`) and reads pending versions' ages (`now()`). Default the system clock. */
  clock?: Clock;
}

/** Options of {@link rotateSecret}. */
export type RotateSecretOptions = RotationEngineOptions & {
  /** The secret's name or ARN. */
  secretId: string;
  /**
   * The rotation's ClientRequestToken (32–64 characters; it becomes the new version id). Runs
   * that pass the same token converge on one new version: give replicas a token derived from
   * the secret and the due time (a name-based UUID). Default: the token of a pending rotation
   * to resume, else a random UUID.
   */
  clientRequestToken?: string;
  /**
   * Without `clientRequestToken`, a rotation pending under another token is resumed when its
   * AWSPENDING version is at least this old; a younger one is taken to belong to a live run and
   * this call stops with RotationInProgressError. Default 0: always resume (runs sharing a token
   * converge, so joining a live run is safe).
   */
  resumeAfterMs?: number;
  /** Stops the rotation between steps; the next run resumes it. */
  signal?: AbortSignal;
};

/** What {@link rotateSecret} did. */
export interface RotationResult {
  readonly secretId: string;
  readonly clientRequestToken: string;
  /** The version AWSCURRENT moved away from (now AWSPREVIOUS). */
  readonly oldVersionId: string | undefined;
  /** The new AWSCURRENT version (its id is the token). */
  readonly newVersionId: string;
  /** True when the token's version already existed: this call resumed (or confirmed) a rotation begun earlier. */
  readonly resumed: boolean;
  readonly steps: readonly StepReport[];
  readonly durationMs: number;
}

/** The event Secrets Manager sends a rotation Lambda. */
export interface RotationEvent {
  SecretId: string;
  ClientRequestToken: string;
  Step: string;
  /** Sent by newer Secrets Manager versions; not needed here. */
  RotationToken?: string;
}

/** Options of {@link runRotationStep} and {@link createRotationHandler}. */
export type RotationStepOptions = RotationEngineOptions & {
  /**
   * False (default) when Secrets Manager invokes the step (Lambda): it has enabled rotation,
   * created the token's AWSPENDING version and removes AWSPENDING itself after finishSecret.
   * True when your own code drives the steps: createSecret may create the token's version and
   * finishSecret removes AWSPENDING.
   */
  selfHosted?: boolean;
  /** Refuse to rotate a secret whose DescribeSecret says RotationEnabled is false. Default `!selfHosted`. */
  requireRotationEnabled?: boolean;
};
