import mongoose, { type Connection } from 'mongoose';
import { describe, expectTypeOf, it } from 'vitest';
import { connectDocumentDb, createDocumentDbConnection, documentDbClientOf } from '../../src/mongoose/index.js';
import type { DocumentDbClient } from '../../src/documentdb/index.js';
import { InMemorySecretsManager } from '../../src/testing/index.js';

const secretId = 'app/docdb';

describe('credstage/mongoose types', () => {
  it('gives back mongoose Connections typed by the mongoose passed in', () => {
    expectTypeOf(createDocumentDbConnection(mongoose, { secretId, dbName: 'shop' })).resolves.toEqualTypeOf<Connection>();
    expectTypeOf(connectDocumentDb(mongoose, { secretId })).resolves.toEqualTypeOf<Connection>();
    expectTypeOf(documentDbClientOf(mongoose.connection)).toEqualTypeOf<DocumentDbClient | undefined>();
  });

  it('takes the options of getDocumentDbClient plus dbName, and refuses the rest', () => {
    void createDocumentDbConnection(mongoose, { secretId, secretsManager: new InMemorySecretsManager(), recoveryBudgetMs: 10_000, mongoClientOptions: { maxPoolSize: 4 } });
    // @ts-expect-error: the MongoClients come from mongoose's own driver
    void createDocumentDbConnection(mongoose, { secretId, createMongoClient: () => undefined });
    // @ts-expect-error: no URI, the secret says where to connect
    void connectDocumentDb(mongoose, { secretId, uri: 'mongodb://127.0.0.1' });
    // @ts-expect-error: the mongoose module comes first
    void connectDocumentDb({ secretId });
  });
});
