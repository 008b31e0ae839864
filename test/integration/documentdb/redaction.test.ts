import { inspect } from 'node:util';
import type { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { getDocumentDbClient, type DocumentDbClientEvent } from '../../../src/documentdb/index.js';
import { expectSecretNotShown, plainPassword } from '../../support/redaction.js';
import { useDocumentDbFixtures, userWithSecret } from './helpers.js';
import { uniqueName } from '../../support/names.js';

describe('no object reachable from a DocumentDbClient shows the password (FerretDB + moto)', () => {
  const fx = useDocumentDbFixtures();

  it('prints no password through util.inspect (depth Infinity, showHidden) or JSON.stringify of the client, its handles, their .client, cursors, sessions, events and the MongoClient given to withMongoClient', async () => {
    const { secretId, password } = await userWithSecret(fx.sm, fx.admin, { password: plainPassword() });
    const events: DocumentDbClientEvent[] = [];
    const client = await getDocumentDbClient({ secretId, secretsManager: fx.sm, onEvent: (event) => events.push(event) });
    try {
      const db = client.db('credstage_it');
      const items = db.collection<{ _id: string }>(uniqueName('redact'));
      await items.insertMany([{ _id: 'a' }, { _id: 'b' }]);
      const cursor = items.find({}).batchSize(1);
      await cursor.next(); // a live server-side cursor, with its session and connection history
      let given: MongoClient | undefined;
      await client.withMongoClient(async (mongo) => {
        given = mongo;
        await mongo.db('credstage_it').command({ ping: 1 });
      });
      const session = given!.startSession();

      const reachable: Record<string, unknown> = {
        client,
        db,
        items,
        'db.client': db.client,
        'items.client': (items as unknown as { client: MongoClient }).client,
        cursor,
        'withMongoClient client': given,
        'its db': given!.db('credstage_it'),
        admin: db.admin(),
        session,
        events,
      };
      await session.endSession();

      // The walk does reach the driver's credentials (in the options, the pools, each connection's AuthContext).
      expect(inspect(db.client, { depth: Infinity, showHidden: true })).toContain(`password: '[redacted]'`);
      expectSecretNotShown(reachable, password);
      await cursor.close();
      // The client still logs in with the hidden password: a new connection authenticates.
      expect(await items.countDocuments()).toBe(2);
    } finally {
      await client.close();
    }
  });
});
