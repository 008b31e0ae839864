import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import mongoose9 from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDocumentDb, createDocumentDbConnection, documentDbClientOf } from '../../../src/mongoose/index.js';
import type { DocumentDbClientEvent } from '../../../src/documentdb/index.js';
import { CHURNING_POOL } from '../../support/documentdb-load.js';
import { motoClient } from '../../support/moto.js';
import { uniqueName } from '../../support/names.js';
import { AcknowledgedInserts, rotationsUnderLoad } from '../../support/orm-rotation.js';
import { asMongoAdmin, rotatableSecret } from '../rotation/support.js';
import { DB, mongoose8 } from './support.js';

const SINGLE_USER = Array.from({ length: 5 }, () => 'single-user' as const);
const ALTERNATING = Array.from({ length: 3 }, () => 'alternating-users' as const);

interface Item {
  key: string;
  n: number;
}

/** One app operation of three kinds: Model.create (acknowledged inserts recorded), a find, an updateOne. */
function itemOps(Item: mongoose9.Model<Item>, acked: AcknowledgedInserts): (seq: number) => Promise<unknown> {
  let lastKey: string | undefined;
  return async (seq) => {
    if (seq % 3 === 0 || lastKey === undefined) {
      const key = acked.next(seq);
      await Item.create({ key, n: 0 });
      acked.record(key);
      lastKey = key;
      return;
    }
    if (seq % 3 === 1) return Item.find({ n: { $gte: 0 } }).limit(5).lean();
    return Item.updateOne({ key: lastKey }, { $inc: { n: 1 } });
  };
}

/** Stored count per key, read after the load by FerretDB's admin user with the plain driver (not through credstage). */
async function storedCounts(Item: mongoose9.Model<Item>): Promise<Map<string, number>> {
  const rows = await asMongoAdmin((admin) =>
    admin.db(DB).collection(Item.collection.collectionName).aggregate<{ _id: string; count: number }>([{ $group: { _id: '$key', count: { $sum: 1 } } }]).toArray(),
  );
  return new Map(rows.map((row) => [row._id, row.count]));
}

const VERSIONS = [
  ['mongoose 9', mongoose9],
  ['mongoose 8', mongoose8],
] as const;

describe.each(VERSIONS)('%s models keep working through credstage rotations under load (FerretDB + moto)', (label, mongoose) => {
  let sm: SecretsManagerClient;
  beforeAll(() => {
    sm = motoClient({ maxAttempts: 3 });
  });
  afterAll(() => sm.destroy());

  it(`a createDocumentDbConnection model: 0 failed operations through 5 single-user rotations, every acknowledged insert stored once, the connection healthy after`, async () => {
    const { secretId } = await rotatableSecret(sm, 'mongo', 'single-user');
    const events: DocumentDbClientEvent[] = [];
    const conn = await createDocumentDbConnection(mongoose, {
      secretId,
      secretsManager: sm,
      dbName: DB,
      mongoClientOptions: CHURNING_POOL,
      onEvent: (e) => events.push(e),
    });
    try {
      // Defined once, before any rotation; `key` unique, so a second write of one insert would fail loudly too.
      const Item = conn.model<Item>('Item', new mongoose.Schema<Item>({ key: { type: String, required: true, unique: true }, n: Number }), uniqueName('items'));
      await Item.init();
      const acked = new AcknowledgedInserts();

      const result = await rotationsUnderLoad({ client: sm, secretId, strategies: SINGLE_USER, op: itemOps(Item, acked) });
      console.log(`${label} createDocumentDbConnection, single-user: operations ok ${result.ok} / failed ${result.failed} / rotations ${result.rotations}; acknowledged inserts ${acked.size}; switches ${JSON.stringify(documentDbClientOf(conn)!.stats())}`);

      expect(result.failures).toEqual([]);
      expect(result.failed).toBe(0);
      expect(result.rotations).toBe(5);
      expect(result.ok).toBeGreaterThan(50);
      // The rotations reached the connection: it moved to new MongoClients after rejected logins.
      expect(documentDbClientOf(conn)!.stats().switchesAfterAuthFailure).toBeGreaterThanOrEqual(1);
      const counts = await storedCounts(Item);
      expect(acked.notStoredOnce(counts)).toEqual([]);
      expect(AcknowledgedInserts.duplicated(counts)).toEqual([]);
      // Healthy afterwards: a query through the model succeeds and mongoose says connected.
      await expect(Item.countDocuments({})).resolves.toBe(counts.size);
      expect(conn.readyState).toBe(mongoose.ConnectionStates.connected);
    } finally {
      await conn.close();
    }
    expect(documentDbClientOf(conn)!.stats().openClients).toBe(0);
  }, 150_000);

  it(`the default connection (connectDocumentDb, mongoose.model): 0 failed operations through 3 alternating-users rotations, every acknowledged insert stored once, healthy after`, async () => {
    const { secretId } = await rotatableSecret(sm, 'mongo', 'alternating-users');
    const Item = mongoose.model<Item>(uniqueName('Item'), new mongoose.Schema<Item>({ key: { type: String, required: true, unique: true }, n: Number }), uniqueName('items'));
    const conn = await connectDocumentDb(mongoose, { secretId, secretsManager: sm, dbName: DB, mongoClientOptions: CHURNING_POOL });
    try {
      expect(conn).toBe(mongoose.connection);
      await Item.init();
      const acked = new AcknowledgedInserts();

      const result = await rotationsUnderLoad({ client: sm, secretId, strategies: ALTERNATING, op: itemOps(Item, acked) });
      const stats = documentDbClientOf(conn)!.stats();
      console.log(`${label} connectDocumentDb (default connection), alternating-users: operations ok ${result.ok} / failed ${result.failed} / rotations ${result.rotations}; acknowledged inserts ${acked.size}; switches ${JSON.stringify(stats)}`);

      expect(result.failures).toEqual([]);
      expect(result.failed).toBe(0);
      expect(result.rotations).toBe(3);
      expect(result.ok).toBeGreaterThan(30);
      const counts = await storedCounts(Item);
      expect(acked.notStoredOnce(counts)).toEqual([]);
      expect(AcknowledgedInserts.duplicated(counts)).toEqual([]);
      await expect(Item.countDocuments({})).resolves.toBe(counts.size);
      expect(mongoose.connection.readyState).toBe(mongoose.ConnectionStates.connected);
      // The second alternation changed the password of the user the connection started with: it had to move.
      expect(stats.switchesAfterAuthFailure).toBeGreaterThanOrEqual(1);
    } finally {
      await mongoose.disconnect();
    }
  }, 150_000);
});
