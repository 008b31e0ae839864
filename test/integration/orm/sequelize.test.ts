import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DataTypes, Sequelize } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgModule } from '../../../src/redshift/index.js';
import { motoClient } from '../../support/moto.js';
import { AcknowledgedInserts, rotationsUnderLoad } from '../../support/orm-rotation.js';
import { checkRun, currentUsername, IDLE_MS, Logins, MAX_USES, ormSecret, POOL_MAX, ROTATIONS } from './pg-module-harness.js';

describe('Sequelize with dialectModule: pgModule({ secretId })', () => {
  let sm: SecretsManagerClient;

  beforeAll(() => {
    sm = motoClient({ maxAttempts: 3 });
  });
  afterAll(() => sm.destroy());

  it('serves reads, inserts and transactions with 0 failures through 5 single-user and 3 alternating-users rotations', { timeout: 240_000 }, async () => {
    const { secretId, username, table } = await ormSecret(sm);
    const logins = new Logins();
    const pg = pgModule({ secretId, secretsManager: sm, onEvent: logins.onEvent });
    const sequelize = new Sequelize({
      dialect: 'postgres',
      dialectModule: pg,
      logging: false,
      // Small, short-lived connections: new logins keep happening during every rotation window.
      pool: { max: POOL_MAX, min: 0, idle: IDLE_MS, evict: IDLE_MS, maxUses: MAX_USES, acquire: 60_000 },
    });
    const Item = sequelize.define('Item', { key: { type: DataTypes.STRING, allowNull: false }, n: DataTypes.INTEGER }, { tableName: table, timestamps: false });
    const inserts = new AcknowledgedInserts();
    try {
      await Item.sync();

      const result = await logins.during(() =>
        rotationsUnderLoad({
          client: sm,
          secretId,
          strategies: ROTATIONS,
          op: async (seq) => {
            if (seq % 3 === 0) {
              const key = inserts.next(seq);
              await Item.create({ key, n: seq });
              inserts.record(key);
            } else if (seq % 3 === 1) {
              await Item.count();
            } else {
              const key = inserts.next(seq);
              await sequelize.transaction(async (transaction) => {
                await Item.create({ key, n: seq }, { transaction });
                await Item.findOne({ where: { key }, transaction });
              });
              inserts.record(key);
            }
          },
        }),
      );

      await checkRun('sequelize', result, logins, inserts, table, username);
      // Sequelize's own pool after the last rotation: a query on it succeeds, as a user the secret names.
      const [rows] = await sequelize.query('select current_user as u');
      expect([username, `${username}_clone`]).toContain((rows[0] as { u: string }).u);
      expect(await currentUsername(sm, secretId)).toBe(`${username}_clone`);
    } finally {
      await sequelize.close();
      await pg.close();
    }
  });
});
