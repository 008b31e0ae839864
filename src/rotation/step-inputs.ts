/**
 * What a step works on, from its context: the versions of the rotated secret, parsed by their
 * engine (their passwords remembered, so no error can carry them), and the database adapter.
 */
import { InvalidSecretFormatError } from '../errors.js';
import type { SecretVersion } from '../secrets-manager/secret-version.js';
import { engineNamed, parseRedshiftSecret, parseSecretOf, type DatabaseSecret } from '../credentials/parse.js';
import { loadAdapter } from './adapters/load.js';
import type { DatabaseAdapter } from './adapters/types.js';
import type { StepContext } from './step-context.js';
import { noteWarning } from './warnings.js';

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
