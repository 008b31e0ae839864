import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { count, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { pgTable, serial, text } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoClient } from '../../support/moto.js';
import { AcknowledgedInserts, rotationsUnderLoad } from '../../support/orm-rotation.js';
import { ROTATION_PLANS, createTable, expectSurvivedRotations, observedPool, secretForTable } from './pool-support.js';

const TABLE = 'credstage_orm_drizzle_items';

/** The table as the app defines it with Drizzle. */
const items = pgTable(TABLE, {
  id: serial('id').primaryKey(),
  key: text('key').notNull(),
  note: text('note').notNull(),
});

describe('Drizzle (drizzle-orm/node-postgres) over getRedshiftPool() while the secret rotates', () => {
  let client: SecretsManagerClient;

  beforeAll(async () => {
    client = motoClient({ maxAttempts: 3 });
    await createTable(TABLE);
  });
  afterAll(() => client.destroy());

  it.each(ROTATION_PLANS)('%s × %i: inserts, reads and transactions through drizzle({ client: pool }) all succeed, each insert stored once', async (strategy, rotations) => {
    const { secretId, username } = await secretForTable(client, strategy, TABLE);
    const { pool, events, poolErrors } = observedPool(client, secretId);
    const db = drizzle({ client: pool });
    const inserts = new AcknowledgedInserts();
    try {
      const op = async (seq: number): Promise<void> => {
        const key = inserts.next(seq);
        switch (seq % 4) {
          case 0:
            await db.insert(items).values({ key, note: 'insert' });
            inserts.record(key);
            return;
          case 1:
            await db.select({ n: count() }).from(items);
            return;
          case 2: {
            await db.transaction(async (tx) => {
              await tx.insert(items).values({ key, note: 'transaction' });
              const [row] = await tx.select().from(items).where(eq(items.key, key));
              if (row?.key !== key) throw new Error('the transaction does not see its own insert');
            });
            inserts.record(key);
            return;
          }
          default:
            await db.select().from(items).orderBy(items.id).limit(5);
        }
      };
      const result = await rotationsUnderLoad({ client, secretId, strategies: Array(rotations).fill(strategy), op });

      // The library's pool is healthy after the last rotation: a query through Drizzle succeeds.
      const [after] = await db.select({ n: count() }).from(items);
      expect(after!.n).toBeGreaterThanOrEqual(inserts.size);
      await expectSurvivedRotations({ library: 'drizzle', strategy, result, inserts, table: TABLE, events, poolErrors, pool, username }, rotations);
    } finally {
      await pool.end();
    }
  });
});
