import { randomUUID } from 'node:crypto';
import { CreateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SecretCache } from '../../../src/cache/secret-cache.js';
import type { CacheEvent } from '../../../src/cache/events.js';
import { DbCredentials, type DbCredentialsOptions } from '../../../src/credentials/db-credentials.js';
import { parseRedshiftSecret, type RedshiftSecret } from '../../../src/credentials/parse.js';
import { InMemorySecretsManager } from '../../../src/testing/in-memory-secrets-manager.js';
import { AwsStyleRotator } from '../../support/aws-style-rotator.js';
import { FakeDatabase } from '../../support/fake-database.js';

export const SECRET_ID = 'Applications/MyApp/Redshift';
export const FIRST_PASSWORD = 'first-Pw:/?#%&=+';

/**
 * Secrets Manager with one Redshift-style secret, a cache over it (system clock: vitest's fake
 * timers drive it), a database that accepts the secret's password, a rotator written like AWS's
 * Lambda templates, and DbCredentials over the cache.
 */
export async function credentialsSetup(
  options: Partial<DbCredentialsOptions<RedshiftSecret>> & { ttlMs?: number; secretFields?: Record<string, unknown> } = {},
) {
  const sm = new InMemorySecretsManager();
  const { ttlMs, secretFields, ...credentialOptions } = options;
  const value = { engine: 'postgres', host: '127.0.0.1', port: 5432, username: 'app', password: FIRST_PASSWORD, dbname: 'app', ...secretFields };
  const created = await sm.send(new CreateSecretCommand({ Name: SECRET_ID, SecretString: JSON.stringify(value) }));
  const db = new FakeDatabase().addUser(value.username, FIRST_PASSWORD);
  const events: CacheEvent[] = [];
  const cache = new SecretCache({ secretsManager: sm, ttlMs: ttlMs ?? 60_000, random: () => 0 });
  const rotator = new AwsStyleRotator({
    client: sm,
    secretId: SECRET_ID,
    setPassword: async (pending) => {
      db.setPassword(pending.username, pending.password);
    },
  });
  const creds = new DbCredentials<RedshiftSecret>({
    cache,
    secretId: SECRET_ID,
    parse: parseRedshiftSecret,
    onEvent: (event) => events.push(event),
    ...credentialOptions,
  });
  sm.calls.length = 0;
  return { sm, db, cache, creds, rotator, events, value, firstVersionId: created.VersionId as string };
}

/** Puts a version labelled AWSPENDING only (as createSecret does) with `value`; returns its id. */
export async function putPending(sm: InMemorySecretsManager, value: Record<string, unknown>): Promise<string> {
  const token = randomUUID();
  await sm.send(new PutSecretValueCommand({ SecretId: SECRET_ID, ClientRequestToken: token, SecretString: JSON.stringify(value), VersionStages: ['AWSPENDING'] }));
  return token;
}

/** The stage (or version id) each GetSecretValue asked for, in order. */
export function readsOf(sm: InMemorySecretsManager): string[] {
  return sm.calls
    .filter((call) => call.command === 'GetSecretValue')
    .map((call) => (call.input['VersionStage'] as string | undefined) ?? `id:${call.input['VersionId']}`);
}
