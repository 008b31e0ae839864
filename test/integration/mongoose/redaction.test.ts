import { inspect } from 'node:util';
import mongoose9 from 'mongoose';
import { describe, expect, it } from 'vitest';
import { documentDbClientOf } from '../../../src/mongoose/index.js';
import { uniqueName } from '../../support/names.js';
import { expectSecretNotShown, plainPassword } from '../../support/redaction.js';
import { useDocumentDbFixtures } from '../documentdb/helpers.js';
import { connectionWithSecret, mongoose8 } from './support.js';

describe.each([
  ['mongoose 9', mongoose9],
  ['mongoose 8', mongoose8],
] as const)('%s: no object reachable from a credstage connection shows the password (FerretDB + moto)', (_label, mongoose) => {
  const fx = useDocumentDbFixtures();

  it('prints no password through util.inspect (depth Infinity, showHidden) or JSON.stringify of the connection, its client, db, collections, a model, a document, a session, before and after a credential switch', async () => {
    const { conn, rotate, passwords, secretId } = await connectionWithSecret(mongoose, fx, plainPassword);
    try {
      const Item = conn.model('Item', new mongoose.Schema({ key: { type: String, unique: true } }), uniqueName('redact'));
      const doc = await Item.create({ key: 'a' });
      const session = await conn.startSession();
      // What credstage hands mongoose, and the driver objects behind it: inspected with showHidden too.
      const credstageObjects = (): Record<string, unknown> => ({
        'conn.client': (conn as unknown as { client: unknown }).client,
        'conn.getClient()': conn.getClient(),
        'conn.db': conn.db,
        'Item.collection.collection (native)': (Item.collection as unknown as { collection: unknown }).collection,
        'conn.db.client (the raw MongoClient)': conn.db!.client,
        session,
        documentDbClient: documentDbClientOf(conn),
      });
      // Mongoose's own objects: showHidden walks into prototypes whose inspect() mongoose cannot run, so without it.
      const mongooseObjects = (): Record<string, unknown> => ({ conn, 'conn.collections': conn.collections, Item, doc });
      const check = (secret: string): void => {
        expectSecretNotShown(credstageObjects(), secret);
        expectSecretNotShown(mongooseObjects(), secret, { showHidden: false });
      };
      // The walk does reach the driver's credentials (in the options, the pools, each connection's AuthContext).
      expect(inspect(conn.db!.client, { depth: Infinity, showHidden: true })).toContain(`password: '[redacted]'`);
      check(passwords[0]!);
      await session.endSession();

      // A switch: the password changes in the database and in a new AWSCURRENT; the next login is rejected.
      await rotate();
      await expect(Item.countDocuments()).resolves.toBe(1);
      expect(documentDbClientOf(conn)!.stats().switchesAfterAuthFailure).toBe(1);
      for (const password of passwords) check(password);
      expect(inspect(conn.getClient())).toBe(`MongoClient [credstage live client of ${secretId}]`);
    } finally {
      await conn.close();
    }
  });
});
