import { InvalidOptionError } from '../errors.js';
import { createSecretsManagerClient, type SecretsManagerLike } from '../secrets-manager/client.js';
import { systemClock, type Clock } from '../internal/clock.js';
import { checkNumber } from '../internal/options.js';
import type { AdapterConnectOptions, DatabaseAdapter } from './adapters/types.js';
import { checkPasswordPolicy, type PasswordPolicy } from './password-policy.js';
import { strategyNamed } from './strategies/index.js';
import type { Strategy } from './strategies/types.js';
import type { RotationEngineOptions, StepReport } from './types.js';

/** Options resolved and checked once, shared by every step of every rotation that uses them. */
export interface EngineConfig {
  readonly strategy: Strategy;
  readonly passwordPolicy: PasswordPolicy | undefined;
  readonly connect: AdapterConnectOptions;
  readonly adapter: DatabaseAdapter | undefined;
  readonly clock: Clock;
  readonly onStep: ((report: StepReport) => void) | undefined;
}

/** Checks the shared options and resolves their defaults. Throws InvalidOptionError naming the field. */
export function resolveEngineConfig(options: RotationEngineOptions): EngineConfig {
  if (options.client !== undefined && typeof options.client?.send !== 'function') {
    throw new InvalidOptionError('client', 'must have a send(command) method (a SecretsManagerClient)');
  }
  if (options.client !== undefined && options.clientConfig !== undefined) {
    throw new InvalidOptionError('clientConfig', 'cannot be combined with client');
  }
  checkPasswordPolicy(options.passwordPolicy);
  if (options.tlsCAFile !== undefined && (typeof options.tlsCAFile !== 'string' || options.tlsCAFile === '')) {
    throw new InvalidOptionError('tlsCAFile', 'must be a file path');
  }
  const adapter = options.adapter;
  if (adapter !== undefined && (typeof adapter?.canLogIn !== 'function' || typeof adapter?.openSession !== 'function')) {
    throw new InvalidOptionError('adapter', 'must have canLogIn() and openSession()');
  }
  if (options.onStep !== undefined && typeof options.onStep !== 'function') throw new InvalidOptionError('onStep', 'must be a function');
  if (options.clock !== undefined && typeof options.clock?.now !== 'function') throw new InvalidOptionError('clock', 'must have now()');
  if (options.clock?.sleep !== undefined && typeof options.clock.sleep !== 'function') throw new InvalidOptionError('clock', 'sleep, when given, must be a function');
  return Object.freeze({
    strategy: strategyNamed(options.strategy ?? 'single-user'),
    passwordPolicy: options.passwordPolicy === undefined ? undefined : Object.freeze({ ...options.passwordPolicy }),
    connect: Object.freeze({
      connectTimeoutMs: checkNumber('connectTimeoutMs', options.connectTimeoutMs ?? 5_000, 1, 600_000),
      queryTimeoutMs: checkNumber('queryTimeoutMs', options.queryTimeoutMs ?? 30_000, 1, 3_600_000),
      tlsCAFile: options.tlsCAFile,
    }),
    adapter,
    clock: options.clock ?? systemClock,
    onStep: options.onStep,
  });
}

/** The client to use, and whether this call made it (and so must destroy it). */
export function clientFor(options: RotationEngineOptions): { client: SecretsManagerLike; owned: boolean } {
  if (options.client) return { client: options.client, owned: false };
  // The engine's calls are idempotent under the token, so SDK retries are safe here (unlike the cache, which retries itself).
  return { client: createSecretsManagerClient({ maxAttempts: 3, ...options.clientConfig }), owned: true };
}
