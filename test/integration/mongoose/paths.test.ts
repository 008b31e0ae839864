import { inspect } from 'node:util';
import mongoose from 'mongoose';
import { describe, expect, it } from 'vitest';
import { connectDocumentDb, documentDbClientOf } from '../../../src/mongoose/index.js';
import { uniqueName } from '../../support/names.js';
import { useDocumentDbFixtures, userWithSecret } from '../documentdb/helpers.js';
import { connectionWithSecret, DB } from './support.js';

describe('mongoose 9: model paths that could bypass the live handles, across many credential switches (FerretDB + moto)', () => {
  const fx = useDocumentDbFixtures();

  it('bulkWrite, insertMany, aggregate cursors, conn.db.collection(), getClient().db(), useDb({ useCache }), populate across connections and GridFS keep working after 6 switches; listeners do not grow per switch; no password in what mongoose copied from the client', async () => {
    const { conn, rotate, passwords } = await connectionWithSecret(mongoose, fx);
    const other = conn.useDb(`${DB}_other`, { useCache: true });
    try {
      const Author = other.model('Author', new mongoose.Schema({ name: String }), uniqueName('author'));
      const Book = conn.model('Book', new mongoose.Schema({ title: String, author: { type: mongoose.Schema.Types.ObjectId, ref: Author } }), uniqueName('book'));
      await Book.init();
      const nativeName = uniqueName('native');
      const listenerCounts = (): number[] => {
        const client = conn.getClient() as unknown as { eventNames(): string[]; listenerCount(e: string): number };
        return client.eventNames().map((e) => client.listenerCount(e));
      };
      const before = listenerCounts();
      for (let i = 0; i < 6; i++) {
        await rotate();
        const [author] = await Author.insertMany([{ name: `a${i}` }]);
        await Book.bulkWrite([{ insertOne: { document: { title: `t${i}`, author: author!._id } } }]);
        const agg: unknown[] = [];
        for await (const row of Book.aggregate([{ $match: {} }]).cursor({ batchSize: 1 })) agg.push(row);
        expect(agg).toHaveLength(i + 1);
        const populated = await Book.findOne({ title: `t${i}` }).populate('author');
        expect((populated!.author as unknown as { name: string }).name).toBe(`a${i}`);
        await conn.db!.collection(nativeName).insertOne({ i });
        await conn.getClient().db(DB).collection(nativeName).insertOne({ i });
        expect(conn.useDb(`${DB}_other`, { useCache: true })).toBe(other);
        const bucket = new mongoose.mongo.GridFSBucket(conn.db as never);
        await new Promise<void>((resolve, reject) => bucket.openUploadStream(`f${i}`).on('finish', () => resolve()).on('error', reject).end(Buffer.from('x')));
      }

      expect(documentDbClientOf(conn)!.stats().switchesAfterAuthFailure).toBeGreaterThanOrEqual(6);
      expect(listenerCounts()).toEqual(before);
      expect(await fx.admin.db(DB).collection(nativeName).countDocuments()).toBe(12);
      expect(await Book.countDocuments()).toBe(6);
      expect(conn.readyState).toBe(mongoose.ConnectionStates.connected);
      expect(other.readyState).toBe(mongoose.ConnectionStates.connected);
      // Mongoose's Connection and Collection cannot be inspected with showHidden (mongoose's own inspect throws); these can.
      for (const [name, value] of Object.entries({ 'conn.models': conn.models, Book })) {
        const text = inspect(value, { depth: Infinity, showHidden: true });
        for (const p of passwords) expect(text, `inspect(${name}, showHidden)`).not.toContain(p);
      }
      // What mongoose copies from the client in setClient(): its connection string and the client's settings.
      const connectionString = (conn as unknown as { _connectionString: string })._connectionString;
      const url = (conn.getClient() as unknown as { s: { url: string } }).s.url;
      for (const p of passwords) {
        expect(connectionString).not.toContain(p);
        expect(url).not.toContain(p);
      }
      await expect(conn.asPromise()).resolves.toBe(conn);
    } finally {
      await conn.close();
    }
    expect(conn.readyState).toBe(mongoose.ConnectionStates.disconnected);
    expect(other.readyState).toBe(mongoose.ConnectionStates.disconnected);
  });

  it('connectDocumentDb refuses a second call on the connected default connection and leaves it working', async () => {
    const { secretId } = await userWithSecret(fx.sm, fx.admin);
    await connectDocumentDb(mongoose, { secretId, secretsManager: fx.sm, dbName: DB });
    try {
      await expect(connectDocumentDb(mongoose, { secretId, secretsManager: fx.sm, dbName: DB })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
      await expect(mongoose.connection.db!.collection('x').findOne({})).resolves.toBeNull();
    } finally {
      await mongoose.disconnect();
    }
  });
});
