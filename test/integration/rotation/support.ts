import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { isAuthenticationError } from '../../../src/credentials/auth-errors.js';
import type { RotationStrategyName } from '../../../src/rotation/types.js';
import { uniqueName } from '../../support/names.js';
import type { DatabaseSecretJson } from '../../support/stages.js';
import { servers } from '../../support/servers.js';

export type SecretJson = DatabaseSecretJson;
export type Engine = SecretJson['engine'];

export const ENGINES: readonly Engine[] = ['mongo', 'redshift', 'postgres'];
export const STRATEGIES: readonly RotationStrategyName[] = ['single-user', 'alternating-users'];

/** A password with the characters that need quoting or escaping somewhere: SQL, URLs. */
export function awkwardPassword(): string {
  return `Pw:%&=+?#'q"${randomBytes(6).toString('hex')}`;
}

/** Runs `fn` with a superuser connection to the test PostgreSQL. */
export async function asPostgresAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const { host, port, user, password, database } = servers().postgres;
  const client = new pg.Client({ host, port, user, password, database });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Runs `fn` with the FerretDB admin user. */
export async function asMongoAdmin<T>(fn: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(servers().ferretdb.url, { serverSelectionTimeoutMS: 5000 });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** Creates a database user with `password`; on PostgreSQL also a table it may read (directly, or through a group for Redshift). */
export async function createDbUser(engine: Engine, username: string, password: string): Promise<void> {
  if (engine === 'mongo') {
    await asMongoAdmin((c) => c.db('admin').command({ createUser: username, pwd: password, roles: [] }));
    return;
  }
  await asPostgresAdmin(async (c) => {
    const id = c.escapeIdentifier(username);
    await c.query(`CREATE ROLE ${id} LOGIN PASSWORD ${c.escapeLiteral(password)}`);
    await c.query(`CREATE TABLE IF NOT EXISTS ${c.escapeIdentifier(`${username}_data`)} (n int)`);
    if (engine === 'redshift') {
      const group = c.escapeIdentifier(`${username}_readers`);
      await c.query(`CREATE GROUP ${group}`);
      await c.query(`ALTER GROUP ${group} ADD USER ${id}`);
      await c.query(`GRANT SELECT ON ${c.escapeIdentifier(`${username}_data`)} TO GROUP ${group}`);
    } else {
      await c.query(`GRANT SELECT ON ${c.escapeIdentifier(`${username}_data`)} TO ${id}`);
    }
  });
}

/** The secret JSON pointing at the test server for `engine`. */
export function secretFor(engine: Engine, username: string, password: string, extra: Record<string, unknown> = {}): SecretJson {
  const s = servers();
  if (engine === 'mongo') return { engine, host: s.ferretdb.host, port: s.ferretdb.port, username, password, ssl: false, ...extra };
  return { engine, host: s.postgres.host, port: s.postgres.port, username, password, dbname: s.postgres.database, ssl: false, ...extra };
}

/** The admin credentials of the test server, as a master secret. */
export function masterSecretFor(engine: Engine): SecretJson {
  const s = servers();
  return engine === 'mongo'
    ? secretFor(engine, s.ferretdb.username, s.ferretdb.password)
    : secretFor(engine, s.postgres.user, s.postgres.password);
}

/** Creates `name` in moto with `value` as AWSCURRENT; returns the ARN and the version id. */
export async function createSecret(client: SecretsManagerClient, name: string, value: object): Promise<{ arn: string; versionId: string }> {
  const out = await client.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value) }));
  return { arn: out.ARN!, versionId: out.VersionId! };
}

/**
 * A user and a secret for it, ready to rotate with `strategy` (alternating users: a master
 * secret with the server's admin credentials, named by `masterarn`).
 */
export async function rotatableSecret(
  client: SecretsManagerClient,
  engine: Engine,
  strategy: RotationStrategyName,
  options: { host?: string; port?: number } = {},
): Promise<{ secretId: string; username: string; password: string; versionId: string }> {
  const username = uniqueName(`app_${engine}`);
  const password = awkwardPassword();
  await createDbUser(engine, username, password);
  let extra: Record<string, unknown> = { ...options };
  if (strategy === 'alternating-users') {
    const master = await createSecret(client, uniqueName(`rotation/${engine}-master`), { ...masterSecretFor(engine), ...options });
    extra = { ...extra, masterarn: master.arn };
  }
  const secretId = uniqueName(`rotation/${engine}`);
  const { versionId } = await createSecret(client, secretId, { ...secretFor(engine, username, password), ...extra });
  return { secretId, username, password, versionId };
}

/**
 * True when the database accepts `secret`'s credentials, proved with a real query by the plain
 * driver (independently of the engine's adapters); false on an authentication failure.
 */
export async function logsIn(secret: SecretJson): Promise<boolean> {
  try {
    if (secret.engine === 'mongo') {
      const client = new MongoClient(`mongodb://${secret.host}:${secret.port}/`, {
        auth: { username: secret.username, password: secret.password },
        authSource: 'admin',
        directConnection: true,
        serverSelectionTimeoutMS: 5000,
      });
      try {
        await client.db('admin').collection('credstage_login_check').findOne({});
      } finally {
        await client.close();
      }
      return true;
    }
    const client = new pg.Client({ host: secret.host, port: secret.port, user: secret.username, password: secret.password, database: servers().postgres.database });
    await client.connect();
    try {
      await client.query('SELECT 1');
    } finally {
      await client.end();
    }
    return true;
  } catch (err) {
    if (isAuthenticationError(err)) return false;
    throw err;
  }
}

/** Reads the table the original user was granted, as `secret`'s user: proves a clone got its privileges. */
export async function readsGrantedTable(secret: SecretJson, originalUser: string): Promise<boolean> {
  const client = new pg.Client({ host: secret.host, port: secret.port, user: secret.username, password: secret.password, database: servers().postgres.database });
  await client.connect();
  try {
    await client.query(`SELECT count(*) FROM ${client.escapeIdentifier(`${originalUser}_data`)}`);
    return true;
  } catch (err) {
    if ((err as { code?: unknown }).code === '42501') return false; // insufficient_privilege
    throw err;
  } finally {
    await client.end();
  }
}
