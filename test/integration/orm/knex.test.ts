import knex, { type Knex } from 'knex';
// @ts-expect-error knex ships no types for its dialect classes
import ClientPg from 'knex/lib/dialects/postgres/index.js';
import { describe, it } from 'vitest';
import { getRedshiftPool, pgModule } from '../../../src/redshift/index.js';
import { useMotoClient } from '../../support/moto.js';
import { IDLE_MS, MAX_USES, OrmRun, POOL_MAX, type OrmOperations } from './pg-module-harness.js';

/** The app's operations through Knex, and `current_user` through the pool Knex uses. */
function knexOperations(db: Knex, table: string): OrmOperations {
  return {
    insert: (key, n) => db(table).insert({ key, n }),
    count: () => db(table).count({ c: '*' }),
    insertAndRead: (key, n) =>
      db.transaction(async (trx) => {
        await trx(table).insert({ key, n });
        await trx(table).where({ key }).first();
      }),
    currentUser: async () => {
      const { rows } = (await db.raw('select current_user as u')) as { rows: Array<{ u: string }> };
      return rows[0]!.u;
    },
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
  const moto = useMotoClient({ maxAttempts: 3 });

  it('serves reads, inserts and transactions with 0 failures through 5 single-user and 3 alternating-users rotations', { timeout: 240_000 }, async () => {
    const run = await OrmRun.start(moto.sm);
    // Small, short-lived connections: new logins keep happening during every rotation window.
    const pool = getRedshiftPool({
      secretId: run.secretId,
      secretsManager: moto.sm,
      onEvent: run.logins.onEvent,
      poolConfig: { max: POOL_MAX, idleTimeoutMillis: IDLE_MS, maxUses: MAX_USES },
    });
    pool.on('error', () => undefined); // as the README says: Knex does not listen on a pool it was given
    const db = knex({ client: 'pg', connectionPool: pool });
    try {
      await createItems(db, run.table);

      await run.rotateAndCheck('knex', knexOperations(db, run.table));
    } finally {
      await db.destroy(); // Knex does not end a pool it was given
      await pool.end();
    }
  });
});

describe('Knex with its own pool: a Client_PG whose driver is pgModule({ secretId }) (Knex before 3.3)', () => {
  const moto = useMotoClient({ maxAttempts: 3 });

  it('serves reads, inserts and transactions with 0 failures through 5 single-user and 3 alternating-users rotations', { timeout: 240_000 }, async () => {
    const run = await OrmRun.start(moto.sm);
    const pg = pgModule({ secretId: run.secretId, secretsManager: moto.sm, onEvent: run.logins.onEvent });
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
    try {
      await createItems(db, run.table);

      await run.rotateAndCheck('knex (own pool, pgModule)', knexOperations(db, run.table));
    } finally {
      await db.destroy();
      await pg.close();
    }
  });
});
