import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servers } from '../support/servers.js';

const server = servers().ferretdb;
const admin = new MongoClient(server.url);
beforeAll(() => admin.connect());
afterAll(() => admin.close());

const unique = (label: string): string => `credstage_smoke_${label}_${randomBytes(6).toString('hex')}`;
const password = (): string => randomBytes(12).toString('base64url');

function urlFor(user: string, secret: string): string {
  const auth = `${encodeURIComponent(user)}:${encodeURIComponent(secret)}`;
  return `mongodb://${auth}@${server.host}:${server.port}/?authSource=admin&directConnection=true`;
}

async function createUser(user: string, secret: string): Promise<void> {
  await admin.db('admin').command({ createUser: user, pwd: secret, roles: [] });
}

async function changePassword(user: string, secret: string): Promise<void> {
  await admin.db('admin').command({ updateUser: user, pwd: secret });
}

/** The MongoDB error code anywhere in the cause chain (the driver puts 18 on the top-level MongoServerError). */
function mongoCode(err: unknown): unknown {
  for (let e = err; e instanceof Error; e = e.cause) {
    if ('code' in e && e.code !== undefined) return e.code;
  }
  return undefined;
}

async function loginError(user: string, secret: string): Promise<unknown> {
  const client = new MongoClient(urlFor(user, secret), { serverSelectionTimeoutMS: 5000 });
  try {
    await client.db('admin').collection('any').findOne({});
    return undefined;
  } catch (err) {
    return err;
  } finally {
    await client.close();
  }
}

describe('FerretDB (MongoDB wire protocol on loopback)', () => {
  it('logs the setup user in with SCRAM: an inserted document is found again', async () => {
    const collection = admin.db(unique('db')).collection('docs');

    await collection.insertOne({ marker: 'smoke' });

    expect(await collection.findOne({ marker: 'smoke' }, { projection: { _id: 0 } })).toEqual({ marker: 'smoke' });
  });

  it('rejects the old password with code 18 once updateUser changed it, and accepts the new one', async () => {
    const user = unique('user');
    const oldSecret = password();
    const newSecret = password();
    await createUser(user, oldSecret);

    await changePassword(user, newSecret);

    const err = await loginError(user, oldSecret);
    expect(err).toBeInstanceOf(Error);
    expect(mongoCode(err)).toBe(18);
    const client = new MongoClient(urlFor(user, newSecret));
    try {
      await expect(client.db('admin').collection('any').findOne({})).resolves.toBeNull();
    } finally {
      await client.close();
    }
  });

  it('keeps a client that logged in before the password change working', async () => {
    const user = unique('user');
    const oldSecret = password();
    await createUser(user, oldSecret);
    const client = new MongoClient(urlFor(user, oldSecret));
    const docs = client.db(unique('db')).collection('docs');
    try {
      await docs.insertOne({ n: 1 });

      await changePassword(user, password());

      await docs.insertOne({ n: 2 });
      expect(await docs.countDocuments()).toBe(2);
    } finally {
      await client.close();
    }
  });
});
