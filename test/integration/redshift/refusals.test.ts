import { randomUUID } from 'node:crypto';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationRejectedError } from '../../../src/errors.js';
import { getRedshiftPool, type RedshiftEvent } from '../../../src/redshift/index.js';
import { startPostgres, type RunningPostgres } from '../../../tools/servers/postgres.js';
import { newPassword } from '../../support/aws-style-rotator.js';
import { createSecret, logins } from './support.js';
import { countingMotoClient } from '../../support/moto.js';

/**
 * Logins the server refuses for reasons other than the password, against a PostgreSQL of this
 * file's own: its pg_hba.conf rejects one role outright and has no line at all for another
 * (the "no pg_hba.conf entry … no encryption" a TLS-only server gives a plaintext client). Both
 * are SQLSTATE 28000, like Redshift's wrong password; only the password case may recover.
 */
const HBA_REJECTED = 'hba_rejected';
const HBA_UNLISTED = 'hba_unlisted';
const APP = 'app';

let server: RunningPostgres;
let admin: pg.Client;
const passwords = new Map<string, string>();

beforeAll(async () => {
  server = await startPostgres({
    hbaLines: [
      'host all postgres 127.0.0.1/32 scram-sha-256',
      `host all ${HBA_REJECTED} 127.0.0.1/32 reject`,
      `host all ${APP} 127.0.0.1/32 scram-sha-256`,
    ],
  });
  admin = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: server.database });
  await admin.connect();
  for (const role of [HBA_REJECTED, HBA_UNLISTED, APP]) {
    const password = newPassword();
    passwords.set(role, password);
    await admin.query(`CREATE ROLE ${pg.escapeIdentifier(role)} LOGIN PASSWORD ${pg.escapeLiteral(password)}`);
  }
});

afterAll(async () => {
  await admin?.end();
  await server?.stop();
});

/** A secret for `role` on this file's server; plaintext on purpose (`"ssl": false`): the server has no TLS. */
/** Puts `value` as a new AWSPENDING version of `secretId` (as a rotation between setSecret and finishSecret leaves it); returns its id. */
async function putPending(sm: { send(command: PutSecretValueCommand): Promise<unknown> }, secretId: string, value: object): Promise<string> {
  const pendingId = randomUUID();
  await sm.send(new PutSecretValueCommand({ SecretId: secretId, ClientRequestToken: pendingId, SecretString: JSON.stringify(value), VersionStages: ['AWSPENDING'] }));
  return pendingId;
}

function secretFor(role: string, password: string, extra: Record<string, unknown> = {}) {
  return { engine: 'postgres', host: server.host, port: server.port, username: role, password, dbname: 'postgres', ssl: false, ...extra };
}

describe('getRedshiftPool when the server refuses a login for another reason than the password', () => {
  // Regression (issue 10, A7): every SQLSTATE 28000 counted as a rejected password, so a
  // pg_hba.conf refusal spent the whole 30 s recovery budget re-reading Secrets Manager and
  // ended with AuthenticationRejectedError ("credentials rejected").
  it.each([
    ['a pg_hba.conf reject line', HBA_REJECTED, /^pg_hba\.conf rejects connection for host "127\.0\.0\.1", user "hba_rejected"/],
    ['no pg_hba.conf entry', HBA_UNLISTED, /^no pg_hba\.conf entry for host "127\.0\.0\.1", user "hba_unlisted", database "postgres", no encryption/],
  ])('ends after one login and one Secrets Manager read with the server\'s SQLSTATE and message: %s', async (_case, role, message) => {
    const { sm, calls } = countingMotoClient();
    const password = passwords.get(role)!;
    const secretId = `test/refusals/${role}/${randomUUID()}`;
    await createSecret(sm, secretId, secretFor(role, password));
    calls.length = 0;
    const events: RedshiftEvent[] = [];
    // The default 30 s budget: a refusal that is not about the password must not spend it.
    const pool = getRedshiftPool({ secretId, secretsManager: sm, onEvent: (e) => events.push(e) });
    try {
      const err = await pool.query('select 1').catch((e: unknown) => e);

      expect(err).not.toBeInstanceOf(AuthenticationRejectedError);
      expect(err).toMatchObject({ code: '28000', severity: 'FATAL' });
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain(password);
      expect(logins(events)).toEqual([expect.objectContaining({ outcome: 'error', errorCode: '28000', username: role })]);
      expect(events.filter((e) => e.type === 'auth-recovery')).toEqual([]);
      expect(calls).toEqual([{ command: 'GetSecretValue', versionStage: 'AWSCURRENT' }]);
    } finally {
      await pool.end();
      sm.destroy();
    }
  });

  it('still recovers from a wrong password (28P01) on the same server, through AWSPENDING', async () => {
    const { sm, calls } = countingMotoClient();
    const secretId = `test/refusals/${APP}/${randomUUID()}`;
    await createSecret(sm, secretId, secretFor(APP, 'not-the-password'));
    const pendingId = await putPending(sm, secretId, secretFor(APP, passwords.get(APP)!));
    calls.length = 0;
    const events: RedshiftEvent[] = [];
    const pool = getRedshiftPool({ secretId, secretsManager: sm, onEvent: (e) => events.push(e) });
    try {
      const { rows } = await pool.query<{ user: string }>('select current_user as user');

      expect(rows).toEqual([{ user: APP }]);
      expect(logins(events).map((e) => [e.outcome, e.outcome === 'ok' ? undefined : e.errorCode])).toEqual([
        ['rejected', '28P01'],
        ['ok', undefined],
      ]);
      expect(events).toContainEqual(expect.objectContaining({ type: 'auth-recovery', recoveredFrom: 'pending', versionId: pendingId }));
    } finally {
      await pool.end();
      sm.destroy();
    }
  });
});

describe('getRedshiftPool and an AWSPENDING no rotation of the secret produced', () => {
  // Regression (issue 10, A6): recovery adopted any AWSPENDING; here one naming another
  // database, whose password the server accepts, would have been logged in with.
  it('does not log in with an AWSPENDING naming another database, reports it, and ends with AuthenticationRejectedError', async () => {
    const { sm, calls } = countingMotoClient();
    const secretId = `test/refusals/${APP}/${randomUUID()}`;
    await createSecret(sm, secretId, secretFor(APP, 'not-the-password'));
    const pendingId = await putPending(sm, secretId, secretFor(APP, passwords.get(APP)!, { dbname: 'template1' }));
    calls.length = 0;
    const events: RedshiftEvent[] = [];
    const recoveryBudgetMs = 2_000;
    const pool = getRedshiftPool({ secretId, secretsManager: sm, recoveryBudgetMs, onEvent: (e) => events.push(e) });
    try {
      const err = await pool.query('select 1').catch((e: unknown) => e);

      expect(err).toBeInstanceOf(AuthenticationRejectedError);
      expect((err as AuthenticationRejectedError).refusedPending).toEqual({ versionId: pendingId, differingFields: ['dbname'] });
      expect(logins(events).every((e) => e.versionId !== pendingId)).toBe(true);
      expect(events.filter((e) => e.type === 'pending-refused')).toEqual([
        expect.objectContaining({ versionId: pendingId, differingFields: ['dbname'] }),
      ]);
      // As with no AWSPENDING: each stage read at most once per second (the default rate limit), both ends included.
      const perStage = recoveryBudgetMs / 1_000 + 1;
      expect(calls.filter((c) => c.versionStage === 'AWSPENDING').length).toBeLessThanOrEqual(perStage);
      expect(JSON.stringify(events)).not.toContain(passwords.get(APP)!);
    } finally {
      await pool.end();
      sm.destroy();
    }
  });
});
