import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, InvalidSecretFormatError } from '../../../src/errors.js';
import { mongoSettings, resolveDocumentDbOptions, type DocumentDbClientOptions } from '../../../src/documentdb/options.js';
import type { DocumentDbSecret } from '../../../src/credentials/parse.js';
import { SecretCache } from '../../../src/cache/secret-cache.js';
import { InMemorySecretsManager } from '../../../src/testing/in-memory-secrets-manager.js';

const PASSWORD = 'p:/?#%&=+@[]x';

function secret(fields: Partial<DocumentDbSecret> = {}): DocumentDbSecret {
  return {
    secretId: 'Applications/MyApp/Documentdb-instance',
    versionId: 'v1',
    versionStages: ['AWSCURRENT'],
    engine: 'mongo',
    host: 'docdb.cluster-abc.us-west-2.docdb.amazonaws.com',
    port: 27017,
    username: 'masteruser',
    password: PASSWORD,
    dbname: undefined,
    ssl: true,
    masterarn: undefined,
    ...fields,
  };
}

function optionError(options: unknown): InvalidOptionError {
  try {
    resolveDocumentDbOptions(options as DocumentDbClientOptions);
  } catch (err) {
    if (err instanceof InvalidOptionError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

describe('getDocumentDbClient options', () => {
  it.each([
    ['secretId', {}],
    ['secretId', { secretId: '  ' }],
    ['options', null],
    ['retryWrites', { secretId: 's', retryWrites: false }],
    ['client', { secretId: 's', cache: new SecretCache({ client: new InMemorySecretsManager() }), client: new InMemorySecretsManager() }],
    ['cache', { secretId: 's', cache: {} }],
    ['mongoClientOptions.auth', { secretId: 's', mongoClientOptions: { auth: { username: 'u', password: PASSWORD } } }],
    ['mongoClientOptions', { secretId: 's', mongoClientOptions: 'tls=true' }],
    ['tlsCAFile', { secretId: 's', tlsCAFile: '/nonexistent/global-bundle.pem' }],
    ['tlsCAFile', { secretId: 's', tlsCAFile: '' }],
    ['recoveryBudgetMs', { secretId: 's', recoveryBudgetMs: -1 }],
    ['recoveryBudgetMs', { secretId: 's', recoveryBudgetMs: Number.NaN }],
    ['onEvent', { secretId: 's', onEvent: 'log' }],
    ['createMongoClient', { secretId: 's', createMongoClient: {} }],
    ['clock', { secretId: 's', clock: {} }],
    ['random', { secretId: 's', random: 0.5 }],
  ])('rejects a bad %s with InvalidOptionError naming it', (field, options) => {
    const error = optionError(options);

    expect(error.option).toBe(field);
    expect(error.message).not.toContain(PASSWORD);
  });

  it('rejects tlsCAFile together with mongoClientOptions.tlsCAFile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'credstage-ca-'));
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, 'not really a CA');

    expect(optionError({ secretId: 's', tlsCAFile: ca, mongoClientOptions: { tlsCAFile: ca } }).option).toBe('mongoClientOptions.tlsCAFile');
  });
});

describe('MongoClient settings from a DocumentDB secret', () => {
  const config = (extra: Partial<DocumentDbClientOptions> = {}) => resolveDocumentDbOptions({ secretId: 's', ...extra });

  it('puts only host and port in the URI and the credentials in auth, whatever characters the password has', () => {
    const { url, options } = mongoSettings(secret({ ssl: false }), config());

    expect(url).toBe('mongodb://docdb.cluster-abc.us-west-2.docdb.amazonaws.com:27017/');
    expect(options.auth).toEqual({ username: 'masteruser', password: PASSWORD });
    // The driver takes them as they are: no escaping, no parse error.
    const client = new MongoClient(url, options);
    expect(client.options.credentials?.password).toBe(PASSWORD);
    expect(client.options.credentials?.source).toBe('admin');
  });

  it("applies DocumentDB's defaults: retryWrites off, authSource admin, a direct connection", () => {
    const { options } = mongoSettings(secret({ ssl: false }), config());

    expect(options).toMatchObject({ retryWrites: false, authSource: 'admin', directConnection: true });
    expect(options.tls).toBeUndefined();
  });

  it('turns on TLS with the CA file when the secret says ssl: true', () => {
    const dir = mkdtempSync(join(tmpdir(), 'credstage-ca-'));
    const ca = join(dir, 'global-bundle.pem');
    writeFileSync(ca, 'pem');

    const { options } = mongoSettings(secret({ ssl: true }), config({ tlsCAFile: ca }));

    expect(options).toMatchObject({ tls: true, tlsCAFile: ca });
  });

  it('lets mongoClientOptions override the defaults', () => {
    const { options } = mongoSettings(
      secret({ ssl: false }),
      config({ mongoClientOptions: { directConnection: false, replicaSet: 'rs0', readPreference: 'secondaryPreferred', maxPoolSize: 7 } }),
    );

    expect(options).toMatchObject({ directConnection: false, replicaSet: 'rs0', readPreference: 'secondaryPreferred', maxPoolSize: 7, retryWrites: false });
  });

  it('refuses to turn TLS off when the secret requires it: no plaintext fallback', () => {
    expect(() => mongoSettings(secret({ ssl: true }), config({ mongoClientOptions: { tls: false } }))).toThrow(
      expect.objectContaining({ option: 'mongoClientOptions.tls' }),
    );
    expect(() => mongoSettings(secret({ ssl: true }), config({ mongoClientOptions: { ssl: false } }))).toThrow(
      expect.objectContaining({ option: 'mongoClientOptions.ssl' }),
    );
  });

  it('brackets an IPv6 host', () => {
    expect(mongoSettings(secret({ host: '::1', ssl: false }), config()).url).toBe('mongodb://[::1]:27017/');
  });

  it.each(['docdb.cluster-abc.us-west-2.docdb.amazonaws.com', '127.0.0.1', '::1', '[::1]'])('accepts host %j', (host) => {
    const { url } = mongoSettings(secret({ host, ssl: false }), config());

    expect(new URL(url).host).toBe(`${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:27017`);
  });

  it.each(['evil.example.com/?authSource=x', 'h/?authMechanism=PLAIN&x=', 'user@host', 'a@b', 'h:1', 'a:1', 'a,b', 'host name', 'fe80::1%eth0'])(
    'rejects host %j that would change the URI with InvalidSecretFormatError naming the field',
    (host) => {
      let error: unknown;
      try {
        mongoSettings(secret({ host, ssl: false }), config());
      } catch (err) {
        error = err;
      }

      expect(error).toBeInstanceOf(InvalidSecretFormatError);
      expect((error as InvalidSecretFormatError).field).toBe('host');
    },
  );
});
