/**
 * `credstage/rotation`: the rotation engine for DocumentDB, Redshift and PostgreSQL secrets —
 * `rotateSecret()` for one-off runs, `RotationScheduler` for self-hosted schedules,
 * `createRotationHandler()` / `runRotationStep()` for a Secrets Manager rotation Lambda. Each database driver is loaded only
 * when a secret of its engine is rotated.
 */
export { rotateSecret } from './rotate.js';
export { runRotationStep, createRotationHandler } from './lambda.js';
export { RotationScheduler } from './scheduler/scheduler.js';
export { SCHEDULER_DEFAULTS } from './scheduler/options.js';
export type { RotationSchedulerOptions, ScheduledSecret, SchedulerEvent, SecretStatus } from './scheduler/scheduler.js';
export type {
  RotationStartedEvent,
  RotationStepEvent,
  RotationSucceededEvent,
  RotationFailedEvent,
  RotationRetryEvent,
  RotationOverdueEvent,
  RotationSkippedEvent,
  SchedulerErrorEvent,
  SchedulerErrorInfo,
} from './scheduler/types.js';
export { rotationToken } from './scheduler/plan.js';
export { alternateUsername } from './strategies/alternating-users.js';
export type { PasswordPolicy, RandomPasswordRequest } from './password-policy.js';
export { ROTATION_STEPS } from './types.js';
export type {
  RotateSecretOptions,
  RotationEngineOptions,
  RotationEvent,
  RotationResult,
  RotationStepName,
  RotationStepOptions,
  RotationStrategyName,
  StepReport,
} from './types.js';
export type { AdapterConnectOptions, DatabaseAdapter, DatabaseSession } from './adapters/types.js';
