import { MongoNetworkError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { FIRST_PASSWORD, bulkWriteError, documentDbSetup, poolClearedError } from './fake-mongo.js';

type Item = { _id: string | number; n?: number };

/** A bulk write error for a batch that found its pool cleared (a network failure, no rejection). */
const clearedPool = (progress = {}) => () => bulkWriteError(poolClearedError(new MongoNetworkError('socket hang up')), progress);

describe('bulk writes through DocumentDbClient (fake server)', () => {
  it('runs an insertMany again when its bulk error shows that no batch took effect', async () => {
    const { server, connect } = await documentDbSetup();
    const client = await connect();
    server.faults.push(clearedPool());

    await client.db().collection<Item>('items').insertMany([{ _id: 1 }, { _id: 2 }]);

    expect(server.docs('items')).toHaveLength(2);
    expect(client.stats().retries).toBe(1);
    await client.close();
  });

  it('does not run an insertMany again when earlier batches were committed before a later one hit a cleared pool', async () => {
    const { server, connect } = await documentDbSetup();
    const client = await connect();
    server.faults.push(clearedPool({ nInserted: 1000 }));

    const error = await client.db().collection<Item>('items').insertMany([{ _id: 1 }]).catch((err: unknown) => err);

    expect(error).toMatchObject({ name: 'MongoBulkWriteError', insertedCount: 1000 });
    expect(client.stats().retries).toBe(0);
    expect(server.executed).toEqual([]);
    await client.close();
  });

  it('does not run a bulkWrite with updates again, even when its error shows no progress: an update matching nothing leaves no count', async () => {
    const { server, connect } = await documentDbSetup();
    const client = await connect();
    server.faults.push(clearedPool());

    const error = await client
      .db()
      .collection<Item>('items')
      .bulkWrite([{ updateOne: { filter: { _id: 'x' }, update: { $set: { n: 1 } } } }, { insertOne: { document: { _id: 1 } } }])
      .catch((err: unknown) => err);

    expect(error).toMatchObject({ name: 'MongoBulkWriteError' });
    expect(client.stats().retries).toBe(0);
    await client.close();
  });

  it('runs a bulkWrite of inserts only again when its error shows no progress', async () => {
    const { server, connect } = await documentDbSetup();
    const client = await connect();
    server.faults.push(clearedPool());

    await client.db().collection<Item>('items').bulkWrite([{ insertOne: { document: { _id: 1 } } }]);

    expect(server.docs('items')).toHaveLength(1);
    expect(client.stats().retries).toBe(1);
    await client.close();
  });

  it('does not run an unacknowledged (w: 0) insertMany again: its result never counts anything', async () => {
    const { server, connect } = await documentDbSetup();
    const client = await connect();
    server.faults.push(clearedPool());

    const error = await client
      .db()
      .collection<Item>('items')
      .insertMany([{ _id: 1 }], { writeConcern: { w: 0 } })
      .catch((err: unknown) => err);

    expect(error).toMatchObject({ name: 'MongoBulkWriteError' });
    expect(client.stats().retries).toBe(0);
    await client.close();
  });

  it('keeps the MongoClient of a legacy bulk open across a switch until execute() settles, then closes it', async () => {
    const { server, rotator, connect } = await documentDbSetup();
    const client = await connect();
    const items = client.db().collection<Item>('items');
    const bulk = items.initializeOrderedBulkOp();
    bulk.insert({ _id: 'bulk' });
    await rotator.beginRotation();
    await items.insertOne({ _id: 'after' }); // rejected on the first client: switches to the second
    const first = server.clients[0]!;
    const openAfterSwitch = !first.closed;
    server.passwords.set('app', FIRST_PASSWORD); // let the first client's credentials work again

    await bulk.execute();
    await new Promise((resolve) => setTimeout(resolve, 0));

    expect(client.stats().generation).toBe(2);
    expect(openAfterSwitch).toBe(true);
    expect(server.docs('items').map((d) => d._id)).toEqual(['after', 'bulk']);
    expect(first.closed).toBe(true);
    await client.close();
  });
});
