import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scramSha256Verifier } from '../../../src/rotation/adapters/scram.js';
import { rotateSecret } from '../../../src/rotation/index.js';
import { servers } from '../../support/servers.js';
import { asPostgresAdmin, awkwardPassword, createDbUser, createSecret, logsIn, rotatableSecret, secretFor } from './support.js';
import { uniqueName } from '../../support/names.js';
import { readStage } from '../../support/stages.js';
import { motoClient } from '../../support/moto.js';

const SCRAM_PREFIX = 'SCRAM-SHA-256$4096:';

/** pg_authid.rolpassword of `role`, read as the superuser. */
async function storedPassword(role: string): Promise<string> {
  const out = await asPostgresAdmin((c) => c.query<{ rolpassword: string }>('SELECT rolpassword FROM pg_catalog.pg_authid WHERE rolname = $1', [role]));
  return out.rows[0]!.rolpassword;
}

/**
 * Makes sessions of `role` hash a password sent as text with MD5. The server uses SCRAM
 * authentication, so a user whose password was stored that way can no longer log in, and
 * rolpassword tells a verifier the engine sent (stored as is) from a password it sent as text.
 */
async function hashTextAsMd5In(role: string): Promise<void> {
  await asPostgresAdmin((c) => c.query(`ALTER ROLE ${c.escapeIdentifier(role)} SET password_encryption = 'md5'`));
}

/** The verifier of `password` with the salt of `stored`: equal to `stored` only if that is a correct verifier of it. */
function verifierLike(stored: string, password: string): string | undefined {
  const salt = /^SCRAM-SHA-256\$4096:([^$]+)\$/.exec(stored)?.[1];
  return salt === undefined ? undefined : scramSha256Verifier(password, Buffer.from(salt, 'base64'));
}

async function alterOwnPasswordAsText(role: string, password: string): Promise<void> {
  const { host, port, database } = servers().postgres;
  const client = new pg.Client({ host, port, database, user: role, password });
  await client.connect();
  try {
    await client.query(`ALTER ROLE ${client.escapeIdentifier(role)} PASSWORD ${client.escapeLiteral(`${password}-next`)}`);
  } finally {
    await client.end();
  }
}

describe('PostgreSQL passwords are sent as SCRAM-SHA-256 verifiers, never as text', () => {
  let client: SecretsManagerClient;

  beforeAll(() => {
    client = motoClient({ maxAttempts: 3 });
  });
  afterAll(() => client.destroy());

  it('a role set up this way stores MD5 for a password sent as text (the check below can fail)', async () => {
    const role = uniqueName('scram_control');
    const password = awkwardPassword();
    await createDbUser('postgres', role, password);
    await hashTextAsMd5In(role);

    await alterOwnPasswordAsText(role, password);

    expect(await storedPassword(role)).toMatch(/^md5[0-9a-f]{32}$/);
  });

  it('single-user: the user stores the verifier of the new password and logs in with it', async () => {
    const { secretId, username } = await rotatableSecret(client, 'postgres', 'single-user');
    await hashTextAsMd5In(username);

    await rotateSecret({ secretId, secretsManager: client });

    const current = await readStage(client, secretId, 'AWSCURRENT');
    const stored = await storedPassword(username);
    expect(stored.startsWith(SCRAM_PREFIX)).toBe(true);
    expect(stored).toBe(verifierLike(stored, current.value.password));
    expect(await logsIn(current.value)).toBe(true);
  });

  it('alternating-users: the clone is created, and the user later re-passworded, with verifiers', async () => {
    const admin = uniqueName('scram_admin');
    const adminPassword = awkwardPassword();
    await asPostgresAdmin((c) => c.query(`CREATE ROLE ${c.escapeIdentifier(admin)} SUPERUSER LOGIN PASSWORD ${c.escapeLiteral(adminPassword)}`));
    await hashTextAsMd5In(admin);
    const master = await createSecret(client, uniqueName('rotation/scram-master'), secretFor('postgres', admin, adminPassword));
    const username = uniqueName('app_scram');
    const password = awkwardPassword();
    await createDbUser('postgres', username, password);
    const secretId = uniqueName('rotation/scram');
    await createSecret(client, secretId, secretFor('postgres', username, password, { masterarn: master.arn }));

    await rotateSecret({ secretId, secretsManager: client, strategy: 'alternating-users' });
    const clone = await readStage(client, secretId, 'AWSCURRENT');
    await rotateSecret({ secretId, secretsManager: client, strategy: 'alternating-users' });
    const current = await readStage(client, secretId, 'AWSCURRENT');

    expect(clone.value.username).toBe(`${username}_clone`);
    expect(current.value.username).toBe(username);
    for (const { value } of [clone, current]) {
      const stored = await storedPassword(value.username);
      expect(stored.startsWith(SCRAM_PREFIX)).toBe(true);
      expect(stored).toBe(verifierLike(stored, value.password));
      expect(await logsIn(value)).toBe(true);
    }
  });
});
