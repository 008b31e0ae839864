import 'reflect-metadata';
import { DataSource, EntitySchema } from 'typeorm';
import { describe, it } from 'vitest';
import { pgModule } from '../../../src/redshift/index.js';
import { useMotoClient } from '../../support/moto.js';
import { IDLE_MS, MAX_USES, OrmRun, POOL_MAX } from './pg-module-harness.js';

interface Item {
  id: number;
  key: string;
  n: number;
}

describe('TypeORM with driver: pgModule({ secretId })', () => {
  const moto = useMotoClient({ maxAttempts: 3 });

  it('serves reads, inserts and transactions with 0 failures through 5 single-user and 3 alternating-users rotations', { timeout: 240_000 }, async () => {
    const run = await OrmRun.start(moto.sm);
    const pg = pgModule({ secretId: run.secretId, secretsManager: moto.sm, onEvent: run.logins.onEvent });
    const Items = new EntitySchema<Item>({
      name: 'Item',
      tableName: run.table,
      columns: { id: { type: Number, primary: true, generated: true }, key: { type: String }, n: { type: 'int' } },
    });
    const dataSource = new DataSource({
      type: 'postgres',
      driver: pg,
      entities: [Items],
      synchronize: true,
      logging: false,
      // Small, short-lived connections (pg-pool settings): new logins keep happening during every rotation window.
      poolSize: POOL_MAX,
      extra: { idleTimeoutMillis: IDLE_MS, maxUses: MAX_USES },
    });
    try {
      await dataSource.initialize();
      const repo = dataSource.getRepository(Items);

      await run.rotateAndCheck('typeorm', {
        insert: (key, n) => repo.insert({ key, n }),
        count: () => repo.count(),
        insertAndRead: (key, n) =>
          dataSource.transaction(async (manager) => {
            await manager.insert(Items, { key, n });
            await manager.findOneBy(Items, { key });
          }),
        // TypeORM's own pool, after the last rotation.
        currentUser: async () => {
          const rows = (await dataSource.query('select current_user as u')) as Array<{ u: string }>;
          return rows[0]!.u;
        },
      });
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      await pg.close();
    }
  });
});
