import { readFileSync } from 'node:fs';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { runLoad, type LoadResult } from '../../../tools/demo/load.js';
import type { LoginEvent } from '../../../src/index.js';
import type { RedshiftEvent } from '../../../src/redshift/index.js';
import { AwsStyleRotator, newPassword, type SecretJson } from '../../support/aws-style-rotator.js';
import { countingMotoClient } from '../../support/moto.js';
import { uniqueName } from '../../support/names.js';
import { servers } from '../../support/servers.js';

/** A superuser connection for creating roles and changing passwords (plaintext: a loopback test server). */
export async function adminClient(): Promise<pg.Client> {
  const { host, port, user, password, database } = servers().postgres;
  // ssl stated, so a test that sets PGSSLMODE does not change how pg connects here.
  const client = new pg.Client({ host, port, user, password, database, ssl: false });
  await client.connect();
  return client;
}

/** A superuser connection to the TLS PostgreSQL, over TLS verified with the test CA. */
export async function tlsAdminClient(): Promise<pg.Client> {
  const { host, port, user, password, database, caFile } = servers().postgresTls;
  const client = new pg.Client({ host, port, user, password, database, ssl: { ca: readFileSync(caFile, 'utf8') } });
  await client.connect();
  return client;
}

/** The JSON of a database secret for the TLS PostgreSQL; `ssl` is left out unless `extra` sets it. */
export function tlsDbSecret(username: string, password: string, extra: Record<string, unknown> = {}): SecretJson {
  const { host, port } = servers().postgresTls;
  return { engine: 'postgres', host, port, username, password, dbname: 'postgres', ...extra };
}

/** Whether the session of `client` uses TLS, as the server sees it. */
export async function sessionUsesTls(client: { query(text: string): Promise<{ rows: { ssl: boolean }[] }> }): Promise<boolean> {
  const { rows } = await client.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
  return rows[0]!.ssl;
}

/** Runs `body` with `PGSSLMODE` set to `mode` (unset for undefined), then restores it. */
export async function withSslMode<T>(mode: string | undefined, body: () => Promise<T>): Promise<T> {
  const saved = process.env['PGSSLMODE'];
  if (mode === undefined) delete process.env['PGSSLMODE'];
  else process.env['PGSSLMODE'] = mode;
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env['PGSSLMODE'];
    else process.env['PGSSLMODE'] = saved;
  }
}

/** The PostgreSQL superuser connection and moto client one test file shares. */
export interface RedshiftFixtures {
  readonly admin: pg.Client;
  readonly sm: SecretsManagerClient;
}

/**
 * Registers beforeAll/afterAll in the calling scope that open an admin pg.Client and a moto
 * client (the counting one; its call log is not kept) and close them again. Read the fields
 * inside tests, hooks or functions they call only: they are created in beforeAll, so reading
 * them while the file is being collected throws.
 *
 * @example
 * ```ts
 * const fx = useRedshiftFixtures();
 * it('works', async () => {
 *   const { secretId, rotator } = await singleUserSecret(fx.sm, fx.admin);
 * });
 * ```
 */
export function useRedshiftFixtures(): RedshiftFixtures {
  let admin: pg.Client | undefined;
  let sm: SecretsManagerClient | undefined;

  beforeAll(async () => {
    admin = await adminClient();
    sm = countingMotoClient().sm;
  });
  afterAll(async () => {
    await admin?.end();
    sm?.destroy();
  });

  return {
    get admin() {
      return created(admin, 'admin');
    },
    get sm() {
      return created(sm, 'sm');
    },
  };
}

function created<T>(value: T | undefined, name: string): T {
  // A clear message beats "cannot read properties of undefined" from deep inside a driver.
  if (value === undefined) throw new Error(`useRedshiftFixtures().${name} was read outside a test: it exists only after beforeAll`);
  return value;
}

export async function createRole(admin: pg.Client, name: string, password: string, inRole?: string): Promise<void> {
  const member = inRole ? ` IN ROLE ${pg.escapeIdentifier(inRole)}` : '';
  await admin.query(`CREATE ROLE ${pg.escapeIdentifier(name)} LOGIN PASSWORD ${pg.escapeLiteral(password)}${member}`);
}

export async function setRolePassword(admin: pg.Client, name: string, password: string): Promise<void> {
  await admin.query(`ALTER ROLE ${pg.escapeIdentifier(name)} PASSWORD ${pg.escapeLiteral(password)}`);
}

/** The JSON of a database secret for the plaintext test PostgreSQL: `"ssl": false`, on purpose. */
export function dbSecret(username: string, password: string, extra: Record<string, unknown> = {}): SecretJson {
  const { host, port } = servers().postgres;
  return { engine: 'postgres', host, port, username, password, dbname: 'postgres', ssl: false, ...extra };
}

export async function createSecret(sm: SecretsManagerClient, name: string, value: SecretJson): Promise<string> {
  const out = await sm.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value) }));
  return out.ARN!;
}

/** A role and a secret for it, plus an AWS-template-style rotator that changes the role's password. */
export async function singleUserSecret(sm: SecretsManagerClient, admin: pg.Client): Promise<{ secretId: string; role: string; rotator: AwsStyleRotator }> {
  const role = uniqueName('app');
  const password = newPassword();
  await createRole(admin, role, password);
  const secretId = `test/redshift/${role}`;
  await createSecret(sm, secretId, dbSecret(role, password));
  const rotator = new AwsStyleRotator({
    client: sm,
    secretId,
    setPassword: (pending) => setRolePassword(admin, pending.username, pending.password),
  });
  return { secretId, role, rotator };
}

/** pg-pool settings that keep opening new connections, so logins happen inside every rotation window. */
export const CHURNING_POOL = { max: 10, maxLifetimeSeconds: 0.3, idleTimeoutMillis: 100 } as const;

/** Runs `op` from `concurrency` workers while `during()` runs, plus `settleMs` before and after. */
export async function loadDuring(
  op: () => Promise<unknown>,
  during: () => Promise<void>,
  { concurrency = 10, thinkMs = 10, settleMs = 300 } = {},
): Promise<LoadResult> {
  let running = true;
  const load = runLoad({ concurrency, op, running: () => running, maxDurationMs: 55_000, thinkMs });
  try {
    await sleep(settleMs);
    await during();
    await sleep(settleMs);
  } finally {
    running = false;
  }
  return load;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function logins(events: readonly RedshiftEvent[], outcome?: LoginEvent['outcome']): LoginEvent[] {
  return events.filter((e): e is LoginEvent => e.type === 'login' && (outcome === undefined || e.outcome === outcome));
}
