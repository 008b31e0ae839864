import { MongoNetworkError, type MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { LoginEvent } from '../../../src/index.js';
import { FIRST_PASSWORD, documentDbSetup } from './fake-mongo.js';

describe('login events of DocumentDbClient', () => {
  it('reports one ok login for the first MongoClient, with the version and user it used', async () => {
    const { connect, events, firstVersionId } = await documentDbSetup();

    const client = await connect();

    const logins = events.filter((e): e is LoginEvent => e.type === 'login');
    expect(logins).toEqual([
      { type: 'login', outcome: 'ok', secretId: client.secretId, versionId: firstVersionId, username: 'app', host: 'docdb.example.com', port: 27017, durationMs: expect.any(Number) },
    ]);
    await client.close();
  });

  it('reports a rejected login, then the ok login of the recovered version, without the password', async () => {
    const { rotator, connect, events, firstVersionId } = await documentDbSetup();
    const { token } = await rotator.beginRotation(); // the database already wants AWSPENDING

    const client = await connect();

    const logins = events.filter((e): e is LoginEvent => e.type === 'login');
    expect(logins.map((e) => [e.outcome, e.versionId, e.outcome === 'ok' ? undefined : e.errorCode])).toEqual([
      ['rejected', firstVersionId, '18'],
      ['ok', token, undefined],
    ]);
    expect(JSON.stringify(events)).not.toContain(FIRST_PASSWORD);
    await client.close();
  });

  it('reports a login that failed for another reason as error, with its code', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:27017'), { code: 'ECONNREFUSED' });
    const unreachable = { connect: () => Promise.reject(new MongoNetworkError('connect ECONNREFUSED', { cause: refused })), close: async () => undefined };
    const { connect, events } = await documentDbSetup({ createMongoClient: () => unreachable as unknown as MongoClient });

    await expect(connect()).rejects.toMatchObject({ name: 'MongoNetworkError' });

    expect(events.filter((e) => e.type === 'login')).toEqual([expect.objectContaining({ outcome: 'error', errorCode: 'ECONNREFUSED' })]);
  });
});
