import { readFileSync } from 'node:fs';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgModule, type RedshiftEvent } from '../../../src/redshift/index.js';
import { newPassword } from '../../support/aws-style-rotator.js';
import { countingMotoClient } from '../../support/moto.js';
import { uniqueName } from '../../support/names.js';
import { servers } from '../../support/servers.js';
import { createRole, createSecret, logins, sessionUsesTls, setRolePassword, tlsAdminClient, tlsDbSecret } from '../redshift/support.js';

describe('pgModule Client over TLS (PostgreSQL with TLS on, certificate from a CA made in the test)', () => {
  let admin: pg.Client;
  const sm = countingMotoClient().sm;

  beforeAll(async () => {
    admin = await tlsAdminClient();
  });
  afterAll(async () => {
    await admin?.end();
    sm.destroy();
  });

  it('recovers from a login rejected inside the rotation window on the same instance, over a new TLS socket, and runs the query queued meanwhile', async () => {
    const role = uniqueName('tlsmod');
    const oldPassword = newPassword();
    await createRole(admin, role, oldPassword, servers().postgresTls.tlsOnlyRole);
    const secretId = `test/pg-module-tls/${role}`;
    await createSecret(sm, secretId, tlsDbSecret(role, oldPassword, { ssl: true }));
    // setSecret ran (the database has the new password, AWSPENDING holds it), finishSecret not yet.
    const next = newPassword();
    await sm.send(new PutSecretValueCommand({ SecretId: secretId, ClientRequestToken: randomUUID(), SecretString: JSON.stringify(tlsDbSecret(role, next, { ssl: true })), VersionStages: ['AWSPENDING'] }));
    await setRolePassword(admin, role, next);
    const events: RedshiftEvent[] = [];
    const mod = pgModule({ secretId, secretsManager: sm, ssl: { ca: readFileSync(servers().postgresTls.caFile, 'utf8') }, recoveryBudgetMs: 5_000, onEvent: (e) => events.push(e) });
    const client = new mod.Client();
    let ends = 0;
    client.on('end', () => ends++);
    try {
      const connecting = client.connect();
      const queued = client.query('select current_user');
      await connecting;

      expect((await queued).rows[0].current_user).toBe(role);
      expect(await sessionUsesTls(client)).toBe(true);
      expect(logins(events).map((e) => e.outcome)).toEqual(['rejected', 'ok']);
      expect(ends).toBe(0);
    } finally {
      await client.end();
      await mod.close();
    }
    expect(client.connection.stream.destroyed).toBe(true);
  });
});
