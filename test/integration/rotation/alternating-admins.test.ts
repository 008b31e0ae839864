import { afterAll, describe, expect, it } from 'vitest';
import { rotateSecret } from '../../../src/rotation/index.js';
import { asPostgresAdmin, awkwardPassword, createDbUser, createSecret, logsIn, masterSecretFor, secretFor } from './support.js';
import { uniqueName } from '../../support/names.js';
import { motoClient } from '../../support/moto.js';

/**
 * alternating-users must not re-password an administrator (issue 10, A5; found by review). On
 * PostgreSQL a user is one when it can SET ROLE to a superuser (or CREATEROLE) role it is a
 * member of, not only when its own row says rolsuper.
 */
const client = motoClient({ maxAttempts: 3 });
afterAll(() => client.destroy());

describe('alternating-users and PostgreSQL administrators, direct or through role membership', () => {
  it('refuses to re-password the other user of the pair when it is a member of a SUPERUSER role (it can SET ROLE to it)', async () => {
    const base = uniqueName('ops');
    const dba = uniqueName('dba');
    const clonePassword = awkwardPassword();
    const basePassword = awkwardPassword();
    await createDbUser('postgres', base, basePassword);
    await createDbUser('postgres', `${base}_clone`, clonePassword);
    await asPostgresAdmin(async (c) => {
      await c.query(`CREATE ROLE ${c.escapeIdentifier(dba)} NOLOGIN SUPERUSER`);
      await c.query(`GRANT ${c.escapeIdentifier(dba)} TO ${c.escapeIdentifier(`${base}_clone`)}`);
    });
    const master = await createSecret(client, uniqueName('rotation/pg-master'), masterSecretFor('postgres'));
    const secretId = uniqueName('rotation/pg');
    await createSecret(client, secretId, { ...secretFor('postgres', base, basePassword), masterarn: master.arn });

    const outcome = await rotateSecret({ secretId, secretsManager: client, strategy: 'alternating-users' }).then(
      () => 'rotated',
      (err: Error) => err.message,
    );

    expect({ outcome, cloneKeepsItsPassword: await logsIn(secretFor('postgres', `${base}_clone`, clonePassword)) }).toEqual({
      outcome: expect.stringContaining('administrator'),
      cloneKeepsItsPassword: true,
    });
  });

  it('refuses a direct SUPERUSER as the other user of the pair (control: the check itself works on a real server)', async () => {
    const base = uniqueName('ops');
    const clonePassword = awkwardPassword();
    const basePassword = awkwardPassword();
    await createDbUser('postgres', base, basePassword);
    await createDbUser('postgres', `${base}_clone`, clonePassword);
    await asPostgresAdmin((c) => c.query(`ALTER ROLE ${c.escapeIdentifier(`${base}_clone`)} SUPERUSER`));
    const master = await createSecret(client, uniqueName('rotation/pg-master'), masterSecretFor('postgres'));
    const secretId = uniqueName('rotation/pg');
    await createSecret(client, secretId, { ...secretFor('postgres', base, basePassword), masterarn: master.arn });

    const err = (await rotateSecret({ secretId, secretsManager: client, strategy: 'alternating-users' }).catch((e: unknown) => e)) as Error;

    expect(err.message).toContain('is an administrator (SUPERUSER)');
    expect(await logsIn(secretFor('postgres', `${base}_clone`, clonePassword))).toBe(true);
  });
});
