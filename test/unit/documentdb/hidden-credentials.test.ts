import { inspect } from 'node:util';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { hideCredentials } from '../../../src/documentdb/hidden-credentials.js';

const PASSWORD = 'Pw0hiddenCredentials0value';

/** A real MongoClient, parsed but never connected (no network in unit tests). */
function driverClient(): MongoClient {
  return new MongoClient('mongodb://127.0.0.1:27017/', { auth: { username: 'app', password: PASSWORD }, authSource: 'admin' });
}

describe('hideCredentials on a MongoClient', () => {
  it('keeps the password readable by the driver but out of util.inspect (showHidden, any depth), JSON.stringify, Object.keys and spreads', () => {
    const client = driverClient();
    const original = client.options.credentials!;

    hideCredentials(client);
    const credentials = client.options.credentials!;

    expect(credentials.password).toBe(PASSWORD);
    expect(credentials.username).toBe('app');
    expect(credentials.source).toBe('admin');
    expect(Object.getPrototypeOf(credentials)).toBe(Object.getPrototypeOf(original)); // still a MongoCredentials
    expect(credentials.equals(original)).toBe(true);
    expect(Object.keys(credentials)).not.toContain('password');
    expect(JSON.stringify({ ...credentials })).not.toContain(PASSWORD);
    expect(JSON.stringify(client.options)).not.toContain(PASSWORD);
    expect(inspect(client, { depth: Infinity, showHidden: true })).not.toContain(PASSWORD);
    expect(inspect(credentials, { depth: Infinity, showHidden: true, getters: true })).toContain(`password: '[redacted]'`);
  });

  it('is a no-op the second time and on a client without password credentials', () => {
    const client = driverClient();
    hideCredentials(client);
    const once = client.options.credentials;
    const fake = { options: {} } as unknown as MongoClient;

    hideCredentials(client);
    hideCredentials(fake);

    expect(client.options.credentials).toBe(once);
    expect(fake.options).toEqual({});
  });
});
