import 'reflect-metadata';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DataSource, EntitySchema } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgModule } from '../../../src/redshift/index.js';
import { motoClient } from '../../support/moto.js';
import { AcknowledgedInserts, rotationsUnderLoad } from '../../support/orm-rotation.js';
import { checkRun, currentUsername, IDLE_MS, Logins, MAX_USES, ormSecret, POOL_MAX, ROTATIONS } from './pg-module-harness.js';

interface Item {
  id: number;
  key: string;
  n: number;
}

describe('TypeORM with driver: pgModule({ secretId })', () => {
  let sm: SecretsManagerClient;

  beforeAll(() => {
    sm = motoClient({ maxAttempts: 3 });
  });
  afterAll(() => sm.destroy());

  it('serves reads, inserts and transactions with 0 failures through 5 single-user and 3 alternating-users rotations', { timeout: 240_000 }, async () => {
    const { secretId, username, table } = await ormSecret(sm);
    const logins = new Logins();
    const pg = pgModule({ secretId, secretsManager: sm, onEvent: logins.onEvent });
    const Items = new EntitySchema<Item>({
      name: 'Item',
      tableName: table,
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
    const inserts = new AcknowledgedInserts();
    try {
      await dataSource.initialize();
      const repo = dataSource.getRepository(Items);

      const result = await logins.during(() =>
        rotationsUnderLoad({
          client: sm,
          secretId,
          strategies: ROTATIONS,
          op: async (seq) => {
            if (seq % 3 === 0) {
              const key = inserts.next(seq);
              await repo.insert({ key, n: seq });
              inserts.record(key);
            } else if (seq % 3 === 1) {
              await repo.count();
            } else {
              const key = inserts.next(seq);
              await dataSource.transaction(async (manager) => {
                await manager.insert(Items, { key, n: seq });
                await manager.findOneBy(Items, { key });
              });
              inserts.record(key);
            }
          },
        }),
      );

      await checkRun('typeorm', result, logins, inserts, table, username);
      // TypeORM's own pool after the last rotation: a query on it succeeds, as a user the secret names.
      const rows = (await dataSource.query('select current_user as u')) as Array<{ u: string }>;
      expect([username, `${username}_clone`]).toContain(rows[0]!.u);
      expect(await currentUsername(sm, secretId)).toBe(`${username}_clone`);
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      await pg.close();
    }
  });
});
