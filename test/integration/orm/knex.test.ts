import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import knex from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRedshiftPool } from '../../../src/redshift/index.js';
import { motoClient } from '../../support/moto.js';
import { AcknowledgedInserts, rotationsUnderLoad } from '../../support/orm-rotation.js';
import { checkRun, currentUsername, IDLE_MS, Logins, MAX_USES, ormSecret, POOL_MAX, ROTATIONS } from './pg-module-harness.js';

describe('Knex with connectionPool: getRedshiftPool({ secretId })', () => {
  let sm: SecretsManagerClient;

  beforeAll(() => {
    sm = motoClient({ maxAttempts: 3 });
  });
  afterAll(() => sm.destroy());

  it('serves reads, inserts and transactions with 0 failures through 5 single-user and 3 alternating-users rotations', { timeout: 240_000 }, async () => {
    const { secretId, username, table } = await ormSecret(sm);
    const logins = new Logins();
    // Small, short-lived connections: new logins keep happening during every rotation window.
    const pool = getRedshiftPool({
      secretId,
      secretsManager: sm,
      onEvent: logins.onEvent,
      poolConfig: { max: POOL_MAX, idleTimeoutMillis: IDLE_MS, maxUses: MAX_USES },
    });
    pool.on('error', () => undefined); // as the README says: Knex does not listen on a pool it was given
    const db = knex({ client: 'pg', connectionPool: pool });
    const inserts = new AcknowledgedInserts();
    try {
      await db.schema.createTable(table, (t) => {
        t.increments('id');
        t.string('key').notNullable();
        t.integer('n');
      });

      const result = await logins.during(() =>
        rotationsUnderLoad({
          client: sm,
          secretId,
          strategies: ROTATIONS,
          op: async (seq) => {
            if (seq % 3 === 0) {
              const key = inserts.next(seq);
              await db(table).insert({ key, n: seq });
              inserts.record(key);
            } else if (seq % 3 === 1) {
              await db(table).count({ c: '*' });
            } else {
              const key = inserts.next(seq);
              await db.transaction(async (trx) => {
                await trx(table).insert({ key, n: seq });
                await trx(table).where({ key }).first();
              });
              inserts.record(key);
            }
          },
        }),
      );

      await checkRun('knex', result, logins, inserts, table, username);
      // The pool Knex uses, after the last rotation: a query through Knex succeeds, as a user the secret names.
      const { rows } = (await db.raw('select current_user as u')) as { rows: Array<{ u: string }> };
      expect([username, `${username}_clone`]).toContain(rows[0]!.u);
      expect(await currentUsername(sm, secretId)).toBe(`${username}_clone`);
    } finally {
      await db.destroy(); // Knex does not end a pool it was given
      await pool.end();
    }
  });
});
