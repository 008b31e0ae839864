import { InvalidOptionError, RotationError, RotationInProgressError } from '../errors.js';
import { checkNumber } from '../internal/options.js';
import { AWSCURRENT, AWSPENDING } from '../secrets-manager/secret-version.js';
import { monotonicMs, type Clock } from '../internal/clock.js';
import { checkToken, newToken } from './token.js';
import type { StepContext } from './step-context.js';
import { clientFor, refuseUnknownEngineKeys, resolveEngineConfig } from './engine-config.js';
import { isLeftover, STEP_FUNCTIONS } from './protocol.js';
import { runTimedStep } from './run-step.js';
import { holderOf, SecretsApi, stagesOf } from '../secrets-manager/secrets-api.js';
import { KnownSecrets, toStepError } from './step-errors.js';
import { ROTATION_STEPS, type RotateSecretOptions, type RotationResult, type StepReport } from './types.js';

/**
 * Rotates a DocumentDB, Redshift or PostgreSQL secret now: createSecret, setSecret, testSecret
 * and finishSecret, each idempotent under one ClientRequestToken (DESIGN.md section 4). The
 * engine comes from the secret's `engine` field; its driver (`mongodb` or `pg`) is loaded only
 * when needed.
 *
 * Which token, and so which rotation, this call drives:
 * - `clientRequestToken` given: that one. If it is already AWSCURRENT there is nothing to do
 *   (a replica with the same token finished it); if another version holds AWSPENDING the call
 *   stops with RotationInProgressError before writing anything.
 * - not given, and a version other than AWSCURRENT holds AWSPENDING: that rotation's token — a
 *   run that died between steps is resumed, never restarted (see `resumeAfterMs`).
 * - otherwise a new random token. Racing starters both put a version; PutSecretValue moves the
 *   AWSPENDING label, and each run reads the stages back: the run whose version lost the label
 *   stops with RotationInProgressError, exactly one goes on.
 *
 * At every moment the database accepts the password of AWSCURRENT or of AWSPENDING, so clients
 * using credstage's recovery keep connecting. A failed step throws RotationError (`step`,
 * `secretId`, `clientRequestToken`, `cause`) and leaves AWSPENDING in place for the next run.
 *
 * @example
 * ```ts
 * import { rotateSecret } from 'credstage/rotation';
 *
 * const result = await rotateSecret({
 *   secretId: 'Applications/MyApp/Documentdb-instance',
 *   onStep: (s) => console.log(s.step, s.outcome, `${s.durationMs} ms`),
 * });
 * console.log(`AWSCURRENT is now ${result.newVersionId}`);
 * ```
 */
export async function rotateSecret(options: RotateSecretOptions): Promise<RotationResult> {
  refuseUnknownEngineKeys(options, 'rotateSecret');
  const { secretId, signal } = options;
  if (typeof secretId !== 'string' || secretId === '') throw new InvalidOptionError('secretId', 'must be a non-empty string');
  const explicit = options.clientRequestToken === undefined ? undefined : checkToken(options.clientRequestToken, 'clientRequestToken');
  const resumeAfterMs = checkNumber('resumeAfterMs', options.resumeAfterMs ?? 0, 0);
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidOptionError('signal', 'must be an AbortSignal');
  const config = resolveEngineConfig(options);
  const { client, owned } = clientFor(options);
  const sm = new SecretsApi(client, secretId);
  const secrets = new KnownSecrets();
  const startedAt = monotonicMs(config.clock);
  try {
    let resumed: string | undefined;
    try {
      resumed = explicit === undefined ? await tokenToResume(sm, resumeAfterMs, config.clock) : undefined;
    } catch (err) {
      throw toStepError(err, { step: 'createSecret', secretId, clientRequestToken: explicit }, secrets);
    }
    const token = explicit ?? resumed ?? newToken();
    // Only a token made up here is known to name no version: a resumed one names the pending
    // version, which createSecret must find again even if the label moved in the meantime.
    const freshToken = explicit === undefined && resumed === undefined;
    const ctx: StepContext = { sm, secretId, token, config, selfHosted: true, freshToken, secrets };
    const steps: StepReport[] = [];
    let oldVersionId: string | undefined;
    for (const step of ROTATION_STEPS) {
      if (signal?.aborted) {
        throw new RotationError({ secretId, step, clientRequestToken: token, problem: 'stopped before this step; the next run resumes', cause: signal.reason });
      }
      const { report, outcome } = await runTimedStep(ctx, step, () => STEP_FUNCTIONS[step](ctx));
      steps.push(report);
      if (step === 'finishSecret') oldVersionId = outcome.oldVersionId;
    }
    return Object.freeze({
      secretId,
      clientRequestToken: token,
      oldVersionId,
      newVersionId: token,
      resumed: steps[0]?.outcome === 'skipped',
      steps: Object.freeze(steps),
      durationMs: monotonicMs(config.clock) - startedAt,
    });
  } finally {
    if (owned) client.destroy?.();
  }
}

/**
 * The token of a rotation to resume: the version holding AWSPENDING when it is not AWSCURRENT.
 * A younger pending version than `resumeAfterMs` is taken to be a live run's: RotationInProgressError.
 */
async function tokenToResume(sm: SecretsApi, resumeAfterMs: number, clock: Clock): Promise<string | undefined> {
  const state = await sm.describe();
  const pendingId = holderOf(state, AWSPENDING);
  const currentId = holderOf(state, AWSCURRENT);
  if (pendingId === undefined || pendingId === currentId) return undefined;
  const pending = await sm.readVersion(pendingId);
  const current = currentId === undefined ? undefined : await sm.readVersion(currentId);
  if (isLeftover(stagesOf(state, pendingId), pending, current)) return undefined; // an old password, not a rotation
  if (resumeAfterMs > 0) {
    const created = pending?.createdDate;
    // A version without a value or a date (a Lambda run that died in createSecret) is old enough.
    if (created !== undefined && clock.now() - created.getTime() < resumeAfterMs) {
      throw new RotationInProgressError({ secretId: sm.secretId, pendingVersionId: pendingId });
    }
  }
  return pendingId;
}
