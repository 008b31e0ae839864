import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servers } from '../support/servers.js';

const server = servers().postgres;
const admin = new pg.Client({ connectionString: server.url });
beforeAll(() => admin.connect());
afterAll(() => admin.end());

const uniqueRole = (): string => `credstage_smoke_${randomBytes(6).toString('hex')}`;
const password = (): string => randomBytes(12).toString('base64url');

async function createRole(role: string, secret: string): Promise<void> {
  await admin.query(`CREATE USER ${admin.escapeIdentifier(role)} PASSWORD ${admin.escapeLiteral(secret)}`);
}

async function changePassword(role: string, secret: string): Promise<void> {
  await admin.query(`ALTER USER ${admin.escapeIdentifier(role)} PASSWORD ${admin.escapeLiteral(secret)}`);
}

async function connectAs(user: string, secret: string): Promise<pg.Client> {
  const client = new pg.Client({ host: server.host, port: server.port, database: server.database, user, password: secret });
  await client.connect();
  return client;
}

async function loginError(user: string, secret: string): Promise<unknown> {
  const client = await connectAs(user, secret).catch((err: unknown) => err);
  if (client instanceof pg.Client) await client.end();
  return client;
}

describe('PostgreSQL (Redshift stand-in on loopback)', () => {
  it('lets a role created with CREATE USER log in with a SCRAM-SHA-256 password', async () => {
    const role = uniqueRole();
    const secret = password();

    await createRole(role, secret);

    const client = await connectAs(role, secret);
    const { rows } = await client.query<{ who: string }>('SELECT current_user AS who');
    await client.end();
    expect(rows[0]?.who).toBe(role);
    const stored = await admin.query<{ hash: string }>('SELECT rolpassword AS hash FROM pg_authid WHERE rolname = $1', [role]);
    expect(stored.rows[0]?.hash).toMatch(/^SCRAM-SHA-256\$/);
  });

  it('rejects the old password with SQLSTATE 28P01 once ALTER USER changed it, and accepts the new one', async () => {
    const role = uniqueRole();
    const oldSecret = password();
    const newSecret = password();
    await createRole(role, oldSecret);

    await changePassword(role, newSecret);

    expect(await loginError(role, oldSecret)).toMatchObject({ code: '28P01' });
    const client = await connectAs(role, newSecret);
    await expect(client.query('SELECT 1')).resolves.toBeTruthy();
    await client.end();
  });

  it('keeps a session that logged in before the password change working', async () => {
    const role = uniqueRole();
    const oldSecret = password();
    await createRole(role, oldSecret);
    const session = await connectAs(role, oldSecret);

    await changePassword(role, password());

    const { rows } = await session.query<{ one: number }>('SELECT 1 AS one');
    expect(rows[0]?.one).toBe(1);
    await session.end();
  });
});
