import mongoose9 from 'mongoose';
import { describe, expect, it } from 'vitest';
import { ClosedError } from '../../../src/errors.js';
import { documentDbClientOf } from '../../../src/mongoose/index.js';
import { uniqueName } from '../../support/names.js';
import { useDocumentDbFixtures } from '../documentdb/helpers.js';
import { connectionWithSecret, DB, mongoose8 } from './support.js';

describe.each([
  ['mongoose 9', mongoose9],
  ['mongoose 8', mongoose8],
] as const)('%s: a credstage connection as mongoose sees it (FerretDB + moto)', (_label, mongoose) => {
  const fx = useDocumentDbFixtures();

  it('gives models on the connection and on useDb() connections the database named by dbName, and both keep working, connected, after a credential switch', async () => {
    const { conn, rotate } = await connectionWithSecret(mongoose, fx);
    try {
      expect(conn.name).toBe(DB);
      expect(conn.db!.databaseName).toBe(DB);
      const other = conn.useDb(`${DB}_other`);
      const A = conn.model('A', new mongoose.Schema({ k: String }), uniqueName('a'));
      const B = other.model('B', new mongoose.Schema({ k: String }), uniqueName('b'));
      await A.create({ k: 'a1' });
      await B.create({ k: 'b1' });

      await rotate();
      await A.create({ k: 'a2' });
      await B.create({ k: 'b2' });

      expect(documentDbClientOf(conn)!.stats().switchesAfterAuthFailure).toBe(1);
      expect(await A.countDocuments()).toBe(2);
      expect(await B.countDocuments()).toBe(2);
      expect(await fx.admin.db(`${DB}_other`).collection(B.collection.collectionName).countDocuments()).toBe(2);
      expect(conn.readyState).toBe(mongoose.ConnectionStates.connected);
      expect(other.readyState).toBe(mongoose.ConnectionStates.connected);
    } finally {
      await conn.close();
    }
  });

  it('gives an Admin from connection.db.admin() that keeps working after a credential switch (mongoose brings its own driver, whose Admin class is not this package\'s)', async () => {
    const { conn, rotate } = await connectionWithSecret(mongoose, fx);
    try {
      const admin = conn.db!.admin(); // taken once, before the switch
      await expect(admin.ping()).resolves.toMatchObject({ ok: 1 });
      await rotate();
      await conn.db!.collection('x').findOne({}); // the switch
      expect(documentDbClientOf(conn)!.stats()).toMatchObject({ switchesAfterAuthFailure: 1, openClients: 1 });
      await expect(admin.ping()).resolves.toMatchObject({ ok: 1 });
    } finally {
      await conn.close();
    }
  });

  it('runs a session on the MongoClient live when it started; after a switch its operations fail with the driver\'s error, are not retried, and the model works without it', async () => {
    const { conn, rotate } = await connectionWithSecret(mongoose, fx);
    try {
      const A = conn.model('A', new mongoose.Schema({ k: String }), uniqueName('a'));
      await A.create({ k: 'a1' });
      const session = await conn.startSession();
      await expect(A.countDocuments().session(session)).resolves.toBe(1);
      await rotate();
      await A.create({ k: 'a2' }); // the switch
      const { retries } = documentDbClientOf(conn)!.stats();

      await expect(A.countDocuments().session(session)).rejects.toMatchObject({ name: 'MongoInvalidArgumentError', message: 'ClientSession must be from the same MongoClient' });
      expect(documentDbClientOf(conn)!.stats().retries).toBe(retries);
      await session.endSession();
      await expect(A.countDocuments()).resolves.toBe(2);
      // The ended session no longer holds the retired MongoClient open.
      await expect.poll(() => documentDbClientOf(conn)!.stats().openClients, { timeout: 5_000 }).toBe(1);
    } finally {
      await conn.close();
    }
  });

  it('close() closes every MongoClient, says disconnected, and refuses further use of its client with ClosedError', async () => {
    const { conn, rotate } = await connectionWithSecret(mongoose, fx);
    const A = conn.model('A', new mongoose.Schema({ k: String }), uniqueName('a'));
    await A.create({ k: 'a1' });
    await rotate();
    await A.create({ k: 'a2' }); // a second MongoClient now, the first retired
    const client = documentDbClientOf(conn)!;
    const native = conn.db!.collection('x'); // a handle taken while open

    await conn.close();

    expect(client.stats().openClients).toBe(0);
    expect(conn.readyState).toBe(mongoose.ConnectionStates.disconnected);
    expect(() => conn.getClient().startSession()).toThrow(ClosedError);
    await expect(native.findOne({})).rejects.toBeInstanceOf(ClosedError);
  });
});
