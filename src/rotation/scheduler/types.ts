import type { Clock, RandomSource } from '../../internal/clock.js';
import type { BackoffOptions } from '../../internal/backoff.js';
import type { SecretsManagerChoice, SecretsManagerLike } from '../../secrets-manager/client.js';
import type { RotationEngineOptions, RotationStrategyName } from '../types.js';
import type { SecretPlan } from './plan.js';

/** Options passed through to the engine for each rotation (TLS CA bundle, password rules, timeouts). */
export type ScheduledRotationOptions = Pick<RotationEngineOptions, 'tlsCAFile' | 'passwordPolicy' | 'connectTimeoutMs' | 'queryTimeoutMs'>;

/** One secret the scheduler rotates. */
export interface ScheduledSecret {
  secretId: string;
  /** `rate(N days)`, `rate(N hours)` or `cron(...)`; default: the secret's RotationRules. */
  schedule?: string;
  /** Window in Secrets Manager's Duration syntax (`3h`); default 1h. */
  window?: string;
  strategy?: RotationStrategyName;
  /** Engine options for this secret, over the scheduler's `rotation` (e.g. DocumentDB's `tlsCAFile`). */
  rotation?: ScheduledRotationOptions;
}

/** What the scheduler asks of the rotation engine: one rotation with a given token. */
export type RotateFunction = (request: ScheduledRotationOptions & {
  secretId: string;
  secretsManager: SecretsManagerLike;
  clientRequestToken: string;
  strategy?: RotationStrategyName | undefined;
  signal: AbortSignal;
  onStep?: (step: { step: string; durationMs: number; warning?: string | undefined }) => void;
}) => Promise<unknown>;

/** What a failed attempt or check reports: the error's `code` and message (never a secret). */
export interface SchedulerErrorInfo {
  code: string;
  message: string;
}

interface SchedulerEventBase {
  secretId: string;
  /** When the scheduler sent the event (its clock). */
  at: Date;
}

/** A rotation begins: `reason` is the plan's action (`rotate`, `resume`, ...). */
export interface RotationStartedEvent extends SchedulerEventBase {
  type: 'rotation-started';
  clientRequestToken: string;
  dueAt: Date;
  reason: SecretPlan['action'];
}

/** One engine step finished. `warning`: the engine's warning, e.g. a new password sent without TLS (never a secret). */
export interface RotationStepEvent extends SchedulerEventBase {
  type: 'step';
  clientRequestToken: string;
  step: string;
  durationMs: number;
  warning?: string;
}

/** The rotation finished all its steps. */
export interface RotationSucceededEvent extends SchedulerEventBase {
  type: 'rotation-succeeded';
  clientRequestToken: string;
  dueAt: Date;
}

/** The last attempt within the window failed; the scheduler tries again after its longest backoff. */
export interface RotationFailedEvent extends SchedulerEventBase {
  type: 'rotation-failed';
  clientRequestToken: string;
  error: SchedulerErrorInfo;
}

/** An attempt failed and another follows after a backoff. */
export interface RotationRetryEvent extends SchedulerEventBase {
  type: 'retry';
  clientRequestToken: string;
  attempt: number;
  error: SchedulerErrorInfo;
}

/** The secret is past its due time and has not been rotated (sent once until it is). */
export interface RotationOverdueEvent extends SchedulerEventBase {
  type: 'overdue';
  clientRequestToken: string;
  dueAt: Date;
}

/** Not rotated by this scheduler: another process holds AWSPENDING. */
export interface RotationSkippedEvent extends SchedulerEventBase {
  type: 'skipped';
  clientRequestToken: string;
  reason: string;
}

/** The scheduler could not read the secret's rotation state to plan it. */
export interface SchedulerErrorEvent extends SchedulerEventBase {
  type: 'error';
  error: SchedulerErrorInfo;
}

/**
 * An event from the scheduler, for structured logs; narrow it by `type`. Never carries a secret value.
 *
 * @example
 * ```ts
 * onEvent: (event) => {
 *   if (event.type === 'rotation-failed') alert(`${event.secretId}: ${event.error.code}`);
 * }
 * ```
 */
export type SchedulerEvent =
  | RotationStartedEvent
  | RotationStepEvent
  | RotationSucceededEvent
  | RotationFailedEvent
  | RotationRetryEvent
  | RotationOverdueEvent
  | RotationSkippedEvent
  | SchedulerErrorEvent;

/** Where one secret stands, from `status()`. */
export interface SecretStatus {
  secretId: string;
  state: 'idle' | 'waiting' | 'rotating' | 'retrying' | 'failed' | 'in-progress-elsewhere' | 'unknown';
  plan: SecretPlan | undefined;
  attempts: number;
  overdue: boolean;
  lastSucceededAt: Date | undefined;
  lastError: { code: string; message: string } | undefined;
}

/**
 * Options of {@link RotationScheduler}. The Secrets Manager client is `secretsManager`, or one
 * built from `secretsManagerConfig` (3 attempts by default), never both.
 */
export type RotationSchedulerOptions = RotationSchedulerOwnOptions & SecretsManagerChoice;

/** The options of {@link RotationScheduler} besides the Secrets Manager client. */
export interface RotationSchedulerOwnOptions {
  secrets: ScheduledSecret[];
  /** The engine call. Default: `rotateSecret` from `credstage/rotation`. */
  rotate?: RotateFunction;
  /** Engine options for every secret (each secret's `rotation` overrides them). */
  rotation?: ScheduledRotationOptions;
  /** How often schedules are checked: 10 to 2,147,483,647 ms (what setInterval honours). Default 60,000 ms. */
  checkIntervalMs?: number;
  /** Backoff between failed attempts within a window (delays at most 2,147,483,647 ms). Default { baseMs: 30,000, factor: 2, maxMs: 600,000 }. */
  backoff?: BackoffOptions;
  /**
   * An AWSPENDING younger than this, under a token this scheduler would not derive (a manual
   * run's), is left to that run. One under the derived token is resumed at once. Default 900,000 ms.
   */
  inProgressGraceMs?: number;
  clock?: Clock;
  random?: RandomSource;
  onEvent?: (event: SchedulerEvent) => void;
}
