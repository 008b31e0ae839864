import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import mongoose9 from 'mongoose';
import { describe, expect, it } from 'vitest';
import { createDocumentDbConnection, documentDbClientOf } from '../../../src/mongoose/index.js';
import { uniqueName } from '../../support/names.js';
import { createDocumentDbSecret, createUser, setUserPassword, useDocumentDbFixtures } from '../documentdb/helpers.js';

const DB = 'credstage_it';
// mongoose 8's types declare the module 'mongoose', so they cannot be imported under the alias: load it untyped.
const mongoose8 = createRequire(import.meta.url)('mongoose8') as typeof mongoose9;

/** JSON.stringify that survives the driver's and mongoose's cycles (each object once) and bigints. */
function json(value: unknown): string {
  const seen = new WeakSet<object>();
  return (
    JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v !== null && typeof v === 'object') {
        if (seen.has(v)) return '[seen]';
        seen.add(v);
      }
      return v;
    }) ?? ''
  );
}

describe.each([
  ['mongoose 9', mongoose9],
  ['mongoose 8', mongoose8],
] as const)('%s: no object reachable from a credstage connection shows the password (FerretDB + moto)', (_label, mongoose) => {
  const fx = useDocumentDbFixtures();

  it('prints no password through util.inspect (depth Infinity, showHidden) or JSON.stringify of the connection, its client, db, collections, a model, a document, a session, before and after a credential switch', async () => {
    const username = uniqueName('app');
    const password = `Pw${randomUUID().replaceAll('-', '')}`; // nothing util.inspect would escape
    await createUser(fx.admin, username, password);
    const { secretId, json: secretJson } = await createDocumentDbSecret(fx.sm, { username, password });
    const conn = await createDocumentDbConnection(mongoose, { secretId, secretsManager: fx.sm, dbName: DB, mongoClientOptions: { maxPoolSize: 1, maxIdleTimeMS: 10 } });
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
        for (const [name, value] of Object.entries(credstageObjects())) {
          expect(inspect(value, { depth: Infinity, showHidden: true }), `util.inspect(${name})`).not.toContain(secret);
          expect(json(value), `JSON.stringify(${name})`).not.toContain(secret);
        }
        for (const [name, value] of Object.entries(mongooseObjects())) {
          expect(inspect(value, { depth: Infinity }), `util.inspect(${name})`).not.toContain(secret);
          expect(json(value), `JSON.stringify(${name})`).not.toContain(secret);
        }
      };
      // The walk does reach the driver's credentials (in the options, the pools, each connection's AuthContext).
      expect(inspect(conn.db!.client, { depth: Infinity, showHidden: true })).toContain(`password: '[redacted]'`);
      check(password);
      await session.endSession();

      // A switch: the password changes in the database and in a new AWSCURRENT; the next login is rejected.
      const next = `Pw${randomUUID().replaceAll('-', '')}`;
      await setUserPassword(fx.admin, username, next);
      await fx.sm.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify({ ...secretJson, password: next }) }));
      await new Promise((resolve) => setTimeout(resolve, 50)); // the pooled connection idles out
      await expect(Item.countDocuments()).resolves.toBe(1);
      expect(documentDbClientOf(conn)!.stats().switchesAfterAuthFailure).toBe(1);
      check(password);
      check(next);
      expect(inspect(conn.getClient())).toBe(`MongoClient [credstage live client of ${secretId}]`);
    } finally {
      await conn.close();
    }
  });
});
