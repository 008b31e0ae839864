import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Kysely, PostgresDialect, type Generated } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoClient } from '../../support/moto.js';
import { AcknowledgedInserts, rotationsUnderLoad } from '../../support/orm-rotation.js';
import { servers } from '../../support/servers.js';
import { ROTATION_PLANS, expectSurvivedRotations, observedPool, secretForTable } from './pool-support.js';

const TABLE = 'credstage_orm_kysely_items';

/** The table as the app types it for Kysely. */
interface Database {
  [TABLE]: { id: Generated<number>; key: string; note: string };
}

/** Creates the table through Kysely's schema builder, as the admin (the app's user may not create tables). */
async function createTableWithKysely(): Promise<void> {
  const { host, port, user, password, database } = servers().postgres;
  const admin = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ host, port, user, password, database, max: 1 }) }) });
  try {
    await admin.schema.dropTable(TABLE).ifExists().execute();
    await admin.schema
      .createTable(TABLE)
      .addColumn('id', 'serial', (c) => c.primaryKey())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull())
      .execute();
  } finally {
    await admin.destroy();
  }
}

describe('Kysely (PostgresDialect) over getRedshiftPool() while the secret rotates', () => {
  let client: SecretsManagerClient;

  beforeAll(async () => {
    client = motoClient({ maxAttempts: 3 });
    await createTableWithKysely();
  });
  afterAll(() => client.destroy());

  it.each(ROTATION_PLANS)('%s × %i: inserts, reads and transactions through new PostgresDialect({ pool }) all succeed, each insert stored once', async (strategy, rotations) => {
    const { secretId, username } = await secretForTable(client, strategy, TABLE);
    const { pool, events, poolErrors } = observedPool(client, secretId);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const inserts = new AcknowledgedInserts();
    let destroyed = false;
    try {
      const op = async (seq: number): Promise<void> => {
        const key = inserts.next(seq);
        switch (seq % 4) {
          case 0:
            await db.insertInto(TABLE).values({ key, note: 'insert' }).execute();
            inserts.record(key);
            return;
          case 1:
            await db.selectFrom(TABLE).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
            return;
          case 2:
            await db.transaction().execute(async (trx) => {
              await trx.insertInto(TABLE).values({ key, note: 'transaction' }).execute();
              const row = await trx.selectFrom(TABLE).selectAll().where('key', '=', key).executeTakeFirst();
              if (row?.key !== key) throw new Error('the transaction does not see its own insert');
            });
            inserts.record(key);
            return;
          default:
            await db.selectFrom(TABLE).selectAll().orderBy('id').limit(5).execute();
        }
      };
      const result = await rotationsUnderLoad({ client, secretId, strategies: Array(rotations).fill(strategy), op });

      // The library's pool is healthy after the last rotation: a query through Kysely succeeds.
      const after = await db.selectFrom(TABLE).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      expect(Number(after.n)).toBeGreaterThanOrEqual(inserts.size);
      await expectSurvivedRotations({ library: 'kysely', strategy, result, inserts, table: TABLE, events, poolErrors, pool, username }, rotations);

      // db.destroy() ends the pool it was given: credstage's end() (which also closes the cache it built).
      await db.destroy();
      destroyed = true;
      expect(pool.ended).toBe(true);
    } finally {
      if (!destroyed) await pool.end();
    }
  });
});
