import { randomUUID } from 'node:crypto';
import { InvalidOptionError, InvalidSecretFormatError } from '../errors.js';
import { createSecretsManagerClient, type SecretsManagerLike } from '../secrets-manager/client.js';
import type { SecretVersion } from '../secrets-manager/secret-version.js';
import { engineNamed, parseRedshiftSecret, parseSecretOf, type DatabaseSecret } from '../credentials/parse.js';
import { systemClock, type Clock } from '../internal/clock.js';
import { checkNumber } from '../internal/options.js';
import { loadAdapter } from './adapters/load.js';
import type { AdapterConnectOptions, DatabaseAdapter } from './adapters/types.js';
import { checkPasswordPolicy, type PasswordPolicy } from './password-policy.js';
import type { SecretsApi } from '../secrets-manager/secrets-api.js';
import { KnownSecrets } from './step-errors.js';
import { strategyNamed } from './strategies/index.js';
import type { Strategy } from './strategies/types.js';
import type { RotationEngineOptions, RotationStepName, StepReport } from './types.js';

/** Options resolved and checked once, shared by every step of every rotation that uses them. */
export interface EngineConfig {
  readonly strategy: Strategy;
  readonly passwordPolicy: PasswordPolicy | undefined;
  readonly connect: AdapterConnectOptions;
  readonly adapter: DatabaseAdapter | undefined;
  readonly clock: Clock;
  readonly onStep: ((report: StepReport) => void) | undefined;
}

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

/** What a step function returns; rotate.ts and lambda.ts add the name and the duration. */
export interface StepOutcome {
  readonly outcome: 'done' | 'skipped';
  readonly detail: string;
  /** finishSecret: the version AWSCURRENT moved away from. */
  readonly oldVersionId?: string | undefined;
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

/** Throws InvalidOptionError unless `token` can be a ClientRequestToken (32–64 characters). */
export function checkToken(token: unknown, option: string): string {
  if (typeof token !== 'string' || token.length < 32 || token.length > 64 || !/^[\x21-\x7e]+$/.test(token)) {
    throw new InvalidOptionError(option, 'must be 32 to 64 printable characters (a UUID, for example)');
  }
  return token;
}

/** A new random token. */
export function newToken(): string {
  return randomUUID();
}

/**
 * Parses a version of the rotated secret (or its master secret) with the parser its `engine`
 * field names, and remembers its password so no error can carry it.
 */
export function parseForRotation(ctx: StepContext, version: SecretVersion, secretId = ctx.secretId): DatabaseSecret {
  let engine: unknown;
  try {
    engine = (JSON.parse(version.secretString ?? '') as { engine?: unknown } | null)?.engine;
  } catch {
    return parseRedshiftSecret(version, secretId); // throws the parser's own "is not valid JSON"
  }
  const named = engineNamed(engine);
  if (named === undefined) {
    throw new InvalidSecretFormatError({
      secretId,
      versionId: version.versionId,
      field: 'engine',
      problem: 'must name the database to rotate: mongo, redshift or postgres',
    });
  }
  const secret = parseSecretOf(named, version, secretId);
  ctx.secrets.add(secret.password);
  return secret;
}

/** The adapter for `engine`: the `adapter` option, else credstage's own (its driver loaded on first use). */
export function adapterFor(ctx: StepContext, secret: DatabaseSecret): Promise<DatabaseAdapter> {
  if (ctx.config.adapter) return Promise.resolve(ctx.config.adapter);
  return loadAdapter(secret.engine, { ...ctx.config.connect, onWarning: (message) => noteWarning(ctx, message) });
}

/** Per rotation (one StepContext): the first warning, and whether a step report carried it yet. */
const warnings = new WeakMap<StepContext, { message: string; reported: boolean }>();

/** Keeps the first warning of a rotation; later ones (the same password sent again) add nothing. */
export function noteWarning(ctx: StepContext, message: string): void {
  if (!warnings.has(ctx)) warnings.set(ctx, { message: ctx.secrets.redact(message), reported: false });
}

/** The rotation's warning if no step report carried it yet; undefined afterwards. */
export function takeWarning(ctx: StepContext): string | undefined {
  const noted = warnings.get(ctx);
  if (noted === undefined || noted.reported) return undefined;
  noted.reported = true;
  return noted.message;
}

/** Where a step runs, for errors. */
export function where(ctx: StepContext, step: RotationStepName): { step: RotationStepName; secretId: string; clientRequestToken: string } {
  return { step, secretId: ctx.secretId, clientRequestToken: ctx.token };
}

/** Calls `onStep`, ignoring a throw: a listener's failure must not fail a rotation. */
export function reportStep(config: EngineConfig, report: StepReport): void {
  try {
    config.onStep?.(report);
  } catch {
    // The listener's problem, not the rotation's.
  }
}
