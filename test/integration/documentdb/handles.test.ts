import { inspect } from 'node:util';
import { Collection, Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { getDocumentDbClient } from '../../../src/documentdb/index.js';
import { singleUserRotator, sleep, userWithSecret, useDocumentDbFixtures } from './helpers.js';
import { uniqueName } from '../../support/names.js';

interface Item {
  _id: string;
  round: number;
}

describe('handles and cursors of getDocumentDbClient across rotations (FerretDB + moto)', () => {
  const fx = useDocumentDbFixtures();

  it('keeps Db and Collection handles taken before the first rotation working, with an insert, a toArray and a for-await as the first use after a rotation', async () => {
    const { secretId } = await userWithSecret(fx.sm, fx.admin, { dbname: 'credstage_it' });
    // Idle connections close after 25 ms, so the first use after each rotation needs a new login.
    const client = await getDocumentDbClient({ secretId, secretsManager: fx.sm, mongoClientOptions: { maxIdleTimeMS: 25 } });
    const db = client.db(); // the secret's dbname
    const items = db.collection<Item>(uniqueName('handle'));
    const rotator = singleUserRotator(fx.sm, fx.admin, secretId);
    const afterRotation = async (): Promise<void> => {
      await rotator.rotate({ pauseMs: 0 });
      await sleep(100);
    };
    try {
      await items.insertOne({ _id: 'before', round: 0 });

      await afterRotation();
      await items.insertOne({ _id: 'after-1', round: 1 });
      await afterRotation();
      const sorted = await items.find({}).sort({ round: -1 }).limit(1).toArray();
      await afterRotation();
      const iterated: string[] = [];
      for await (const item of items.find({}).sort({ round: 1 })) iterated.push(item._id);

      expect(sorted).toEqual([{ _id: 'after-1', round: 1 }]);
      expect(iterated).toEqual(['before', 'after-1']);
      expect(client.stats().switchesAfterAuthFailure).toBe(3);
      expect(client.versionId).toBe((await rotator.readStage('AWSCURRENT')).versionId);
      expect(db).toBeInstanceOf(Db);
      expect(db.databaseName).toBe('credstage_it');
      expect(items).toBeInstanceOf(Collection);
      expect(inspect(items)).toMatch(/^Collection\(credstage_it\.handle_\w+\) \[credstage live handle\]$/);
    } finally {
      await client.close();
    }
  });
});
