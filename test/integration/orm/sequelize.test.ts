import { DataTypes, Sequelize } from 'sequelize';
import { describe, it } from 'vitest';
import { pgModule } from '../../../src/redshift/index.js';
import { useMotoClient } from '../../support/moto.js';
import { IDLE_MS, MAX_USES, OrmRun, POOL_MAX } from './pg-module-harness.js';

describe('Sequelize with dialectModule: pgModule({ secretId })', () => {
  const moto = useMotoClient({ maxAttempts: 3 });

  it('serves reads, inserts and transactions with 0 failures through 5 single-user and 3 alternating-users rotations', { timeout: 240_000 }, async () => {
    const run = await OrmRun.start(moto.sm);
    const pg = pgModule({ secretId: run.secretId, secretsManager: moto.sm, onEvent: run.logins.onEvent });
    const sequelize = new Sequelize({
      dialect: 'postgres',
      dialectModule: pg,
      logging: false,
      // Small, short-lived connections: new logins keep happening during every rotation window.
      pool: { max: POOL_MAX, min: 0, idle: IDLE_MS, evict: IDLE_MS, maxUses: MAX_USES, acquire: 60_000 },
    });
    const Item = sequelize.define('Item', { key: { type: DataTypes.STRING, allowNull: false }, n: DataTypes.INTEGER }, { tableName: run.table, timestamps: false });
    try {
      await Item.sync();

      await run.rotateAndCheck('sequelize', {
        insert: (key, n) => Item.create({ key, n }),
        count: () => Item.count(),
        insertAndRead: (key, n) =>
          sequelize.transaction(async (transaction) => {
            await Item.create({ key, n }, { transaction });
            await Item.findOne({ where: { key }, transaction });
          }),
        // Sequelize's own pool, after the last rotation.
        currentUser: async () => {
          const [rows] = await sequelize.query('select current_user as u');
          return (rows[0] as { u: string }).u;
        },
      });
    } finally {
      await sequelize.close();
      await pg.close();
    }
  });
});
