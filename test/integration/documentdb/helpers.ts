import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll } from 'vitest';
import { AwsStyleRotator, newPassword, type SecretJson } from '../../support/aws-style-rotator.js';
import { motoClient } from '../../support/moto.js';
import { uniqueName } from '../../support/names.js';
import { servers } from '../../support/servers.js';

/** Helpers shared by the DocumentDB integration tests: moto, FerretDB's admin user, rotators. */

/** A MongoClient logged in as FerretDB's setup user (all privileges). */
export async function adminMongo(): Promise<MongoClient> {
  const client = new MongoClient(servers().ferretdb.url, { serverSelectionTimeoutMS: 5_000 });
  await client.connect();
  return client;
}

/** The moto client and FerretDB admin connection one test file (or describe block) shares. */
export interface DocumentDbFixtures {
  readonly sm: SecretsManagerClient;
  readonly admin: MongoClient;
}

/**
 * Registers beforeAll/afterAll in the calling scope that open a moto client and an admin
 * MongoClient and close them again. Read the fields inside tests or hooks only: they are
 * created in beforeAll, so reading them while the file is being collected throws.
 *
 * @example
 * ```ts
 * describe('something against FerretDB', () => {
 *   const fx = useDocumentDbFixtures();
 *   it('works', async () => {
 *     const { secretId } = await userWithSecret(fx.sm, fx.admin);
 *   });
 * });
 * ```
 */
export function useDocumentDbFixtures(): DocumentDbFixtures {
  let sm: SecretsManagerClient | undefined;
  let admin: MongoClient | undefined;

  beforeAll(async () => {
    sm = motoClient();
    admin = await adminMongo();
  });
  afterAll(async () => {
    await admin?.close();
    sm?.destroy();
  });

  return {
    get sm() {
      return created(sm, 'sm');
    },
    get admin() {
      return created(admin, 'admin');
    },
  };
}

function created<T>(value: T | undefined, name: string): T {
  // A clear message beats "cannot read properties of undefined" from deep inside a driver.
  if (value === undefined) throw new Error(`useDocumentDbFixtures().${name} was read outside a test: it exists only after beforeAll`);
  return value;
}

/** FerretDB's createUser needs `roles: []`. */
export async function createUser(admin: MongoClient, username: string, password: string): Promise<void> {
  await admin.db('admin').command({ createUser: username, pwd: password, roles: [] });
}

export async function setUserPassword(admin: MongoClient, username: string, password: string): Promise<void> {
  await admin.db('admin').command({ updateUser: username, pwd: password });
}

export async function userExists(admin: MongoClient, username: string): Promise<boolean> {
  const out = await admin.db('admin').command({ usersInfo: username });
  return Array.isArray(out['users']) && out['users'].length > 0;
}

/** A DocumentDB-shaped secret for `username` on the shared FerretDB, stored in moto. */
export async function createDocumentDbSecret(
  sm: SecretsManagerClient,
  value: { username: string; password: string; port?: number; ssl?: boolean; dbname?: string },
): Promise<{ secretId: string; json: SecretJson }> {
  const secretId = `credstage/it/${uniqueName('docdb')}`;
  const { host, port } = servers().ferretdb;
  const json: SecretJson = { engine: 'mongo', host, port, ssl: false, ...value };
  await sm.send(new CreateSecretCommand({ Name: secretId, SecretString: JSON.stringify(json) }));
  return { secretId, json };
}

/**
 * A user with a secret: the starting point of every rotation test. `port` points the secret at
 * another port (a proxy in front of FerretDB); `password` when the test needs a password of its
 * own shape.
 */
export async function userWithSecret(
  sm: SecretsManagerClient,
  admin: MongoClient,
  extra: { dbname?: string; port?: number; password?: string } = {},
): Promise<{ username: string; password: string; secretId: string; json: SecretJson }> {
  const { password = newPassword(), ...rest } = extra;
  const username = uniqueName('app');
  await createUser(admin, username, password);
  const { secretId, json } = await createDocumentDbSecret(sm, { username, password, ...rest });
  return { username, password, secretId, json };
}

/**
 * A password change by hand: `next` in the database and in a new AWSCURRENT, then 50 ms, so a
 * pooled connection opened with `maxIdleTimeMS: 10` has idled out and the next operation logs
 * in again (rejected first, with the old password).
 */
export async function switchPassword(
  fx: DocumentDbFixtures,
  user: { username: string; secretId: string; json: SecretJson },
  next: string,
): Promise<void> {
  await setUserPassword(fx.admin, user.username, next);
  await fx.sm.send(new PutSecretValueCommand({ SecretId: user.secretId, SecretString: JSON.stringify({ ...user.json, password: next }) }));
  await sleep(50);
}

/**
 * Client options under which a frozen reply (ReplyFreezeProxy) interrupts the operation waiting
 * for it: in poll mode the monitor's hello times out after connectTimeoutMS, which labels the
 * error InterruptInUseConnections; the pool is cleared and in-use connections are failed with
 * PoolClearedOnNetworkError.
 */
export const HEARTBEAT_TIMEOUT_OPTIONS = { serverMonitoringMode: 'poll', heartbeatFrequencyMS: 500, connectTimeoutMS: 500, serverSelectionTimeoutMS: 5_000 } as const;

/** Single-user rotation as AWS's template does it: the user's own password changes. */
export function singleUserRotator(sm: SecretsManagerClient, admin: MongoClient, secretId: string): AwsStyleRotator {
  return new AwsStyleRotator({
    client: sm,
    secretId,
    setPassword: (pending) => setUserPassword(admin, pending.username, pending.password),
  });
}

/**
 * Alternating-users rotation as AWS's template does it: the master user creates `<user>_clone`
 * (or re-passwords whichever of the two is not AWSCURRENT) and AWSPENDING names that user.
 */
export function alternatingRotator(sm: SecretsManagerClient, admin: MongoClient, secretId: string, baseUser: string): AwsStyleRotator {
  const clone = `${baseUser}_clone`;
  return new AwsStyleRotator({
    client: sm,
    secretId,
    nextSecret: (current) => ({ ...current, username: current.username === clone ? baseUser : clone, password: newPassword() }),
    setPassword: async (pending) => {
      if (await userExists(admin, pending.username)) await setUserPassword(admin, pending.username, pending.password);
      else await createUser(admin, pending.username, pending.password);
    },
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
