import { MongoNetworkError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { documentDbSetup, poolClearedError } from './fake-mongo.js';

async function seeded() {
  const setup = await documentDbSetup();
  setup.server.docs('items').push({ _id: 1 }, { _id: 2 }, { _id: 3 });
  const client = await setup.connect();
  return { ...setup, client, items: client.db().collection<{ _id: unknown }>('items') };
}

describe('cursors of a DocumentDbClient across a credential switch', () => {
  it('answers a property named like an Object.prototype member from the driver\'s cursor, not from its own table', async () => {
    const { client, items } = await seeded();

    const cursor = items.find({}) as unknown as Record<string, unknown>;

    expect(cursor['constructor']).not.toBe(Object);
    expect(cursor['__proto__']).not.toBe(Object.prototype);
    expect(cursor['__proto__']).toBe(Object.getPrototypeOf(cursor));
    await client.close();
  });

  it('runs a find again on the new MongoClient when its first batch is rejected, with the builder calls replayed', async () => {
    const { client, items, rotator, server } = await seeded();
    await rotator.beginRotation();

    const docs = await items.find({}).limit(2).toArray();

    expect(docs).toEqual([{ _id: 1 }, { _id: 2 }]);
    expect(server.executed.filter((op) => op.startsWith('find'))).toHaveLength(1);
    expect(client.stats().generation).toBe(2);
    await client.close();
  });

  it('iterates with for await after a switch', async () => {
    const { client, items, rotator } = await seeded();
    await rotator.beginRotation();
    const seen: unknown[] = [];

    for await (const doc of items.find({})) seen.push(doc);

    expect(seen).toEqual([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
    await client.close();
  });

  it('reads a cursor created before a switch but first read after it from the new MongoClient', async () => {
    const { client, items, rotator, server } = await seeded();
    const cursor = items.find({});
    await rotator.beginRotation();
    await items.countDocuments(); // switches

    const docs = await cursor.toArray();

    expect(docs).toHaveLength(3);
    expect(client.stats().retries).toBe(1); // the count's first attempt only
    expect(server.clients[0]!.closed).toBe(true);
    await client.close();
  });

  it('does not run a query again once a document reached the app: the error surfaces', async () => {
    const { client, items, rotator, server } = await seeded();
    const cursor = items.find({});
    const first = await cursor.next();
    await rotator.beginRotation();

    const error = await cursor.next().catch((err: unknown) => err);

    expect(first).toEqual({ _id: 1 });
    expect(error).toMatchObject({ code: 18 });
    expect(server.executed.filter((op) => op.startsWith('find'))).toHaveLength(1);
    await client.close();
  });

  it('does not run a query again when a getMore fails after the first batch came back, even before a document reached the app', async () => {
    // The first batch's command ran on the server (an aggregate with $merge has written by then);
    // only a failure of that first command may be run again, as the driver never retries a getMore.
    const { client, items, server } = await seeded();
    server.faults.push(
      () => undefined, // the find passes
      () => poolClearedError(new MongoNetworkError('socket hang up')), // the next fetch fails at checkout
    );

    const error = await items.find({}).toArray().catch((err: unknown) => err);

    expect(error).toMatchObject({ name: 'MongoPoolClearedError' });
    expect(server.executed.filter((op) => op.startsWith('find'))).toHaveLength(1);
    expect(client.stats().retries).toBe(0);
    await client.close();
  });

  it('keeps the replaced MongoClient open while a cursor started on it is read, and closes it with the cursor', async () => {
    const { client, items, rotator, server } = await seeded();
    const cursor = items.find({});
    await cursor.next();
    await rotator.beginRotation();
    await items.insertOne({ _id: 4 }); // switches to a new MongoClient
    const oldClient = server.clients[0]!;
    const openWhileReading = !oldClient.closed;

    await cursor.close();

    expect(openWhileReading).toBe(true);
    expect(oldClient.closed).toBe(true);
    await client.close();
  });
});
