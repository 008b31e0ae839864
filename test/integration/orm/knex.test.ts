import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import knex, { type Knex } from 'knex';
// @ts-expect-error knex ships no types for its dialect classes
import ClientPg from 'knex/lib/dialects/postgres/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRedshiftPool, pgModule } from '../../../src/redshift/index.js';
import { motoClient } from '../../support/moto.js';
import { AcknowledgedInserts, rotationsUnderLoad, type RotationsUnderLoadOptions } from '../../support/orm-rotation.js';
import { checkRun, currentUsername, IDLE_MS, Logins, MAX_USES, ormSecret, POOL_MAX, ROTATIONS } from './pg-module-harness.js';


/** One operation of the app through Knex: an insert, a count, or a transaction with an insert and a read. */
function knexOp(db: Knex, table: string, inserts: AcknowledgedInserts): RotationsUnderLoadOptions['op'] {
  return async (seq) => {
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
  };
}

async function createItems(db: Knex, table: string): Promise<void> {
  await db.schema.createTable(table, (t) => {
    t.increments('id');
    t.string('key').notNullable();
    t.integer('n');
  });
}

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
      await createItems(db, table);

      const result = await logins.during(() => rotationsUnderLoad({ client: sm, secretId, strategies: ROTATIONS, op: knexOp(db, table, inserts) }));

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

describe('Knex with its own pool: a Client_PG whose driver is pgModule({ secretId }) (Knex before 3.3)', () => {
  let sm: SecretsManagerClient;

  beforeAll(() => {
    sm = motoClient({ maxAttempts: 3 });
  });
  afterAll(() => sm.destroy());

  it('serves reads, inserts and transactions with 0 failures through 5 single-user and 3 alternating-users rotations', { timeout: 240_000 }, async () => {
    const { secretId, username, table } = await ormSecret(sm);
    const logins = new Logins();
    const pg = pgModule({ secretId, secretsManager: sm, onEvent: logins.onEvent });
    class CredstagePg extends ClientPg {
      _driver(): unknown {
        return pg;
      }
    }
    // Knex's tarn pool, small and short-lived (Knex has no maxUses: a lifetime instead); Knex builds every Client itself and listens for its `end`.
    const db = knex({
      client: CredstagePg as unknown as typeof Knex.Client,
      connection: {},
      pool: { min: 0, max: POOL_MAX, idleTimeoutMillis: IDLE_MS, reapIntervalMillis: IDLE_MS, maxConnectionLifetimeMillis: 100 } as Knex.PoolConfig,
    });
    const inserts = new AcknowledgedInserts();
    try {
      await createItems(db, table);

      const result = await logins.during(() => rotationsUnderLoad({ client: sm, secretId, strategies: ROTATIONS, op: knexOp(db, table, inserts) }));

      await checkRun('knex (own pool, pgModule)', result, logins, inserts, table, username);
      const { rows } = (await db.raw('select current_user as u')) as { rows: Array<{ u: string }> };
      expect([username, `${username}_clone`]).toContain(rows[0]!.u);
    } finally {
      await db.destroy();
      await pg.close();
    }
  });
});
