import { InvalidOptionError } from '../errors.js';
import { checkSecretsManagerChoice, createSecretsManagerClient, SECRETS_MANAGER_KEYS, type SecretsManagerLike } from '../secrets-manager/client.js';
import { checkClock, type Clock } from '../internal/clock.js';
import { checkNumber, isPlainObject, refuseUnknownKeys, type KnownKeys } from '../internal/options.js';
import type { AdapterConnectOptions, DatabaseAdapter } from './adapters/types.js';
import { checkPasswordPolicy, type PasswordPolicy } from './password-policy.js';
import { strategyNamed } from './strategies/index.js';
import type { Strategy } from './strategies/types.js';
import type { RotateSecretOptions, RotationEngineOptions, RotationStepOptions, StepReport } from './types.js';

/** Options resolved and checked once, shared by every step of every rotation that uses them. */
export interface EngineConfig {
  readonly strategy: Strategy;
  readonly passwordPolicy: PasswordPolicy | undefined;
  readonly connect: AdapterConnectOptions;
  readonly adapter: DatabaseAdapter | undefined;
  readonly clock: Clock;
  readonly onStep: ((report: StepReport) => void) | undefined;
}

/** Default timeouts of the engine's database sessions. */
export const ENGINE_DEFAULTS = Object.freeze({ connectTimeoutMs: 5_000, queryTimeoutMs: 30_000 });

const ENGINE_KEYS: KnownKeys<RotationEngineOptions> = {
  ...SECRETS_MANAGER_KEYS, strategy: true, passwordPolicy: true, connectTimeoutMs: true, queryTimeoutMs: true, tlsCAFile: true, adapter: true, onStep: true, clock: true,
};
const ROTATE_KEYS: KnownKeys<RotateSecretOptions> = { ...ENGINE_KEYS, secretId: true, clientRequestToken: true, resumeAfterMs: true, signal: true };
const STEP_KEYS: KnownKeys<RotationStepOptions> = { ...ENGINE_KEYS, selfHosted: true, requireRotationEnabled: true };

/** Refuses an unknown (or renamed) option of rotateSecret, or of runRotationStep / createRotationHandler (`what`). */
export function refuseUnknownEngineKeys(options: object, what: 'rotateSecret' | 'runRotationStep' | 'createRotationHandler'): void {
  if (!isPlainObject(options)) throw new InvalidOptionError('options', 'must be an object');
  refuseUnknownKeys('', options, what === 'rotateSecret' ? ROTATE_KEYS : STEP_KEYS, what);
}

/** Checks the shared options and resolves their defaults. Throws InvalidOptionError naming the field. */
export function resolveEngineConfig(options: RotationEngineOptions): EngineConfig {
  checkSecretsManagerChoice(options);
  checkPasswordPolicy(options.passwordPolicy);
  if (options.tlsCAFile !== undefined && (typeof options.tlsCAFile !== 'string' || options.tlsCAFile === '')) {
    throw new InvalidOptionError('tlsCAFile', 'must be a file path');
  }
  const adapter = options.adapter;
  if (adapter !== undefined && (typeof adapter?.canLogIn !== 'function' || typeof adapter?.openSession !== 'function')) {
    throw new InvalidOptionError('adapter', 'must have canLogIn() and openSession()');
  }
  if (options.onStep !== undefined && typeof options.onStep !== 'function') throw new InvalidOptionError('onStep', 'must be a function');
  const clock = checkClock('clock', options.clock);
  return Object.freeze({
    strategy: strategyNamed(options.strategy ?? 'single-user'),
    passwordPolicy: options.passwordPolicy === undefined ? undefined : Object.freeze({ ...options.passwordPolicy }),
    connect: Object.freeze({
      connectTimeoutMs: checkNumber('connectTimeoutMs', options.connectTimeoutMs ?? ENGINE_DEFAULTS.connectTimeoutMs, 1, 600_000),
      queryTimeoutMs: checkNumber('queryTimeoutMs', options.queryTimeoutMs ?? ENGINE_DEFAULTS.queryTimeoutMs, 1, 3_600_000),
      tlsCAFile: options.tlsCAFile,
    }),
    adapter,
    clock,
    onStep: options.onStep,
  });
}

/** The client to use, and whether this call made it (and so must destroy it). */
export function clientFor(options: RotationEngineOptions): { client: SecretsManagerLike; owned: boolean } {
  if (options.secretsManager) return { client: options.secretsManager, owned: false };
  // The engine's calls are idempotent under the token, so SDK retries are safe here (unlike the cache, which retries itself).
  return { client: createSecretsManagerClient({ maxAttempts: 3, ...options.secretsManagerConfig }), owned: true };
}
