import { InvalidOptionError } from '../errors.js';
import { AWSCURRENT, AWSPENDING } from '../secrets-manager/secret-version.js';
import type { SecretsManagerLike } from '../secrets-manager/client.js';
import { checkToken } from './token.js';
import type { StepOutcome } from './step-outcome.js';
import { where, type StepContext } from './step-context.js';
import { clientFor, refuseUnknownEngineKeys, resolveEngineConfig, type EngineConfig } from './engine-config.js';
import { STEP_FUNCTIONS } from './protocol.js';
import { runTimedStep } from './run-step.js';
import { SecretsApi, stagesOf } from '../secrets-manager/secrets-api.js';
import { KnownSecrets, stepFailure } from './step-errors.js';
import { ROTATION_STEPS, type RotationEvent, type RotationStepName, type RotationStepOptions, type StepReport } from './types.js';

interface CheckedEvent {
  secretId: string;
  token: string;
  step: RotationStepName;
}

function checkEvent(event: RotationEvent): CheckedEvent {
  if (event === null || typeof event !== 'object') throw new InvalidOptionError('event', 'must be a rotation event object');
  if (typeof event.SecretId !== 'string' || event.SecretId === '') throw new InvalidOptionError('event.SecretId', 'must be a non-empty string');
  const token = checkToken(event.ClientRequestToken, 'event.ClientRequestToken');
  if (!(ROTATION_STEPS as readonly string[]).includes(event.Step)) {
    throw new InvalidOptionError('event.Step', `must be one of ${ROTATION_STEPS.join(', ')}`);
  }
  return { secretId: event.SecretId, token, step: event.Step as RotationStepName };
}

function checkModes(options: RotationStepOptions): { selfHosted: boolean; requireRotationEnabled: boolean } {
  const selfHosted = options.selfHosted ?? false;
  if (typeof selfHosted !== 'boolean') throw new InvalidOptionError('selfHosted', 'must be true or false');
  const requireRotationEnabled = options.requireRotationEnabled ?? !selfHosted;
  if (typeof requireRotationEnabled !== 'boolean') throw new InvalidOptionError('requireRotationEnabled', 'must be true or false');
  return { selfHosted, requireRotationEnabled };
}

/** The checks of AWS's rotation templates, then the step. */
async function checkedStep(ctx: StepContext, step: RotationStepName, requireRotationEnabled: boolean): Promise<StepOutcome> {
  const w = where(ctx, step);
  const state = await ctx.sm.describe();
  if (requireRotationEnabled && !state.rotationEnabled) {
    throw stepFailure(w, 'rotation is not enabled for the secret (DescribeSecret RotationEnabled is false)', false);
  }
  const stages = stagesOf(state, ctx.token);
  // Secrets Manager creates the token's version before it invokes createSecret; a self-hosted caller creates it there.
  const creating = ctx.selfHosted && step === 'createSecret';
  if (!state.versionIdsToStages.has(ctx.token) && !creating) {
    throw stepFailure(w, `version ${ctx.token} has no stage for rotation of the secret`, false);
  }
  if (stages.includes(AWSCURRENT)) {
    return { outcome: 'skipped', detail: `version ${ctx.token} is already AWSCURRENT` };
  }
  if (!stages.includes(AWSPENDING) && !stages.includes(AWSCURRENT) && !creating) {
    throw stepFailure(w, `version ${ctx.token} is not set as AWSPENDING for rotation of the secret`, false);
  }
  // Nothing was written since this DescribeSecret: the step can act on it instead of asking again.
  return STEP_FUNCTIONS[step](ctx, state);
}

async function runWith(client: SecretsManagerLike, config: EngineConfig, event: CheckedEvent, modes: ReturnType<typeof checkModes>): Promise<StepReport> {
  const ctx: StepContext = {
    sm: new SecretsApi(client, event.secretId),
    secretId: event.secretId,
    token: event.token,
    config,
    selfHosted: modes.selfHosted,
    freshToken: false,
    secrets: new KnownSecrets(),
  };
  const { report } = await runTimedStep(ctx, event.step, () => checkedStep(ctx, event.step, modes.requireRotationEnabled));
  return report;
}

/**
 * Runs one step of a rotation, as Secrets Manager asks a rotation Lambda to, with the checks of
 * AWS's templates first: rotation is enabled for the secret; the token is a version of it; a
 * token already AWSCURRENT means there is nothing to do; a token not AWSPENDING is an error.
 * With `selfHosted: true` (your code drives the steps, not Secrets Manager) rotation need not be
 * enabled, createSecret creates the token's version and finishSecret removes AWSPENDING.
 *
 * @example
 * ```ts
 * import { runRotationStep } from 'credstage/rotation';
 *
 * for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
 *   await runRotationStep({ SecretId: 'app/redshift', ClientRequestToken: token, Step }, { selfHosted: true });
 * }
 * ```
 */
export async function runRotationStep(event: RotationEvent, options: RotationStepOptions = {}): Promise<StepReport> {
  refuseUnknownEngineKeys(options, 'runRotationStep');
  const checked = checkEvent(event);
  const modes = checkModes(options);
  const config = resolveEngineConfig(options);
  const { client, owned } = clientFor(options);
  try {
    return await runWith(client, config, checked, modes);
  } finally {
    if (owned) client.destroy?.();
  }
}

/**
 * A Lambda handler for Secrets Manager rotation. Options are checked once, when the handler is
 * made, and one SecretsManagerClient serves every invocation of the warm function. The strategy
 * is fixed per function, as with AWS's templates: deploy one function per strategy.
 *
 * @example
 * ```ts
 * // index.mjs of a rotation Lambda
 * import { createRotationHandler } from 'credstage/rotation';
 *
 * export const handler = createRotationHandler({
 *   strategy: 'alternating-users',
 *   onStep: (s) => console.log(JSON.stringify(s)),
 * });
 * ```
 */
export function createRotationHandler(options: RotationStepOptions = {}): (event: RotationEvent) => Promise<StepReport> {
  refuseUnknownEngineKeys(options, 'createRotationHandler');
  const modes = checkModes(options);
  const config = resolveEngineConfig(options);
  const { client } = clientFor(options);
  return async (event) => runWith(client, config, checkEvent(event), modes);
}
