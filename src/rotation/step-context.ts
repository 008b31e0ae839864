import type { SecretsApi } from '../secrets-manager/secrets-api.js';
import type { EngineConfig } from './engine-config.js';
import type { KnownSecrets } from './step-errors.js';
import type { RotationStepName } from './types.js';

/** Everything one step needs. */
export interface StepContext {
  readonly sm: SecretsApi;
  readonly secretId: string;
  readonly token: string;
  readonly config: EngineConfig;
  /** True when no Secrets Manager service drives the rotation (see RotationStepOptions.selfHosted). */
  readonly selfHosted: boolean;
  /** True when this run made the token up, so no version can have it yet. */
  readonly freshToken: boolean;
  readonly secrets: KnownSecrets;
}

/** Where a step runs, for errors. */
export function where(ctx: StepContext, step: RotationStepName): { step: RotationStepName; secretId: string; clientRequestToken: string } {
  return { step, secretId: ctx.secretId, clientRequestToken: ctx.token };
}
