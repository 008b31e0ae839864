import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import mongoose from 'mongoose';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../src/errors.js';
import { connectDocumentDb, createDocumentDbConnection, documentDbClientOf, type DocumentDbConnectionOptions } from '../../../src/mongoose/index.js';
import { InMemorySecretsManager } from '../../../src/testing/in-memory-secrets-manager.js';

async function optionError(run: () => Promise<unknown>): Promise<InvalidOptionError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof InvalidOptionError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

describe('credstage/mongoose options are checked before anything connects', () => {
  it.each([
    ['options', null],
    ['secretId', {}],
    ['recoverBudgetMs', { secretId: 's', recoverBudgetMs: 1 }],
    ['createMongoClient', { secretId: 's', createMongoClient: () => undefined }],
    ['uri', { secretId: 's', uri: 'mongodb://127.0.0.1' }],
    ['dbName', { secretId: 's', dbName: '' }],
    ['secretsManager', { secretId: 's', client: new InMemorySecretsManager() }],
  ])('refuses a bad or unknown option with InvalidOptionError naming %s', async (option, options) => {
    const err = await optionError(() => createDocumentDbConnection(mongoose, options as DocumentDbConnectionOptions));
    expect(err.code).toBe('ERR_INVALID_OPTION');
    expect(err.message).toContain(option === 'secretsManager' ? 'client' : option);
    if (option === 'secretsManager') expect(err.message).toContain('secretsManager');
  });

  it('names createDocumentDbConnection or connectDocumentDb in an unknown-key error', async () => {
    await expect(createDocumentDbConnection(mongoose, { secretId: 's', url: 'x' } as never)).rejects.toThrow(/not an option of createDocumentDbConnection/);
    await expect(connectDocumentDb(mongoose, { secretId: 's', url: 'x' } as never)).rejects.toThrow(/not an option of connectDocumentDb/);
  });

  it.each([
    ['undefined', undefined],
    ['the mongodb driver instead of mongoose', { MongoClient: class {} }],
    ['a plain object', {}],
  ])('refuses %s where the mongoose module belongs', async (_what, value) => {
    const err = await optionError(() => createDocumentDbConnection(value as never, { secretId: 's' }));
    expect(err.message).toMatch(/mongoose.*must be the mongoose module/);
  });

  it('refuses a mongoose older than 8', async () => {
    const old = Object.assign(Object.create(mongoose) as object, { version: '7.6.3' });
    await expect(createDocumentDbConnection(old as typeof mongoose, { secretId: 's' })).rejects.toThrow(/must be mongoose 8 or later, got 7\.6\.3/);
  });

  it('refuses to take over a default connection that is already connecting or connected, and opens nothing', async () => {
    const instance = new mongoose.Mongoose();
    const connecting = instance.connection.openUri('mongodb://127.0.0.1:9/x', { serverSelectionTimeoutMS: 50 }).catch(() => undefined);
    const err = await optionError(() => connectDocumentDb(instance, { secretId: 's', secretsManager: new InMemorySecretsManager() }));
    expect(err.message).toMatch(/default connection must be disconnected \(readyState 0\), it is 2/);
    expect(documentDbClientOf(instance.connection)).toBeUndefined();
    await connecting;
    await instance.disconnect();
  });
});

describe('a failed createDocumentDbConnection', () => {
  it('leaves no connection behind in mongoose.connections when the server cannot be reached', async () => {
    const instance = new mongoose.Mongoose();
    const sm = new InMemorySecretsManager();
    const secret = { engine: 'mongo', host: '127.0.0.1', port: 9, username: 'app', password: 'pw', ssl: false };
    await sm.send(new CreateSecretCommand({ Name: 'app/docdb', SecretString: JSON.stringify(secret) }));
    const before = instance.connections.length;

    await expect(
      createDocumentDbConnection(instance, { secretId: 'app/docdb', secretsManager: sm, mongoClientOptions: { serverSelectionTimeoutMS: 100 } }),
    ).rejects.toMatchObject({ name: 'MongoServerSelectionError' });
    expect(instance.connections.length).toBe(before);
  });
});
