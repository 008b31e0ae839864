import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, type MongoClientOptions } from 'mongodb';
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
    ['secretsManager', { secretId: 's', cache: new SecretCache({ secretsManager: new InMemorySecretsManager() }), secretsManager: new InMemorySecretsManager() }],
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

  it('lets a MongoClient whose login was rejected check its server again within 20 ms, not the driver\'s 500 ms, and keeps an override', () => {
    // A rejected login marks the server Unknown; operations already selecting it wait for the monitor's next check.
    expect(mongoSettings(secret({ ssl: false }), config()).options.minHeartbeatFrequencyMS).toBe(20);
    const overridden = mongoSettings(secret({ ssl: false }), config({ mongoClientOptions: { minheartbeatfrequencyms: 500 } as MongoClientOptions })).options;
    expect(driverOptions({ url: 'mongodb://127.0.0.1:27017/', options: overridden }).minHeartbeatFrequencyMS).toBe(500);
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

/** A CA file on disk (its contents are never read: no test here connects). */
function caFile(): string {
  const ca = join(mkdtempSync(join(tmpdir(), 'credstage-ca-')), 'global-bundle.pem');
  writeFileSync(ca, 'pem');
  return ca;
}

/** The settings for `secret`, or the InvalidOptionError refusing them (at start-up or per secret). */
function settingsFor(fields: Partial<DocumentDbSecret>, extra: Partial<DocumentDbClientOptions>): ReturnType<typeof mongoSettings> | InvalidOptionError {
  try {
    return mongoSettings(secret(fields), resolveDocumentDbOptions({ secretId: 's', ...extra }));
  } catch (err) {
    if (err instanceof InvalidOptionError) return err;
    throw err;
  }
}

/** What the driver itself makes of the settings (parsing only, nothing connects). */
function driverOptions(settings: ReturnType<typeof mongoSettings>) {
  return new MongoClient(settings.url, settings.options).options;
}

describe('TLS a secret asks for cannot be turned off or weakened through mongoClientOptions', () => {
  // The driver drops null and undefined options and reads option names case-insensitively,
  // `ssl` being an alias of `tls` (lib/connection_string.js parseOptions).
  it.each<[string, MongoClientOptions]>([
    ['tls: undefined', { tls: undefined }],
    ['tls: null', { tls: null as unknown as boolean }],
    ['ssl: undefined', { ssl: undefined }],
    ['tls: true', { tls: true }],
    ["TLS: 'true'", { TLS: 'true' } as MongoClientOptions],
    ['tlsInsecure: false', { tlsInsecure: false }],
    ['tlsAllowInvalidHostnames: false', { tlsAllowInvalidHostnames: false }],
    ['rejectUnauthorized: true', { rejectUnauthorized: true } as MongoClientOptions],
  ])('keeps TLS on with verification for a secret with ssl: true and %s', (_what, mongoClientOptions) => {
    const settings = settingsFor({ ssl: true }, { mongoClientOptions });
    if (settings instanceof InvalidOptionError) throw settings;

    const parsed = driverOptions(settings);

    expect(parsed.tls).toBe(true);
    expect((parsed as { rejectUnauthorized?: unknown }).rejectUnauthorized).not.toBe(false);
    expect((parsed as { checkServerIdentity?: unknown }).checkServerIdentity).toBeUndefined();
  });

  it.each<[string, MongoClientOptions]>([
    ['tls', { tls: false }],
    ['tls', { tls: 'false' } as unknown as MongoClientOptions],
    ['TLS', { TLS: false } as MongoClientOptions],
    ['Tls', { Tls: false } as MongoClientOptions],
    ['ssl', { ssl: false }],
    ['SSL', { SSL: 'false' } as MongoClientOptions],
    ['tls', { tls: 0 } as unknown as MongoClientOptions],
    ['tlsInsecure', { tlsInsecure: true }],
    ['TLSINSECURE', { TLSINSECURE: 'true' } as MongoClientOptions],
    ['tlsAllowInvalidCertificates', { tlsAllowInvalidCertificates: true }],
    ['tlsAllowInvalidHostnames', { tlsAllowInvalidHostnames: 'true' } as unknown as MongoClientOptions],
    ['rejectUnauthorized', { rejectUnauthorized: false } as MongoClientOptions],
    ['rejectUnauthorized', { rejectUnauthorized: 0 } as unknown as MongoClientOptions],
    ['checkServerIdentity', { checkServerIdentity: () => undefined } as MongoClientOptions],
    ['pskCallback', { pskCallback: () => null } as unknown as MongoClientOptions],
  ])('refuses mongoClientOptions.%s that would turn off or weaken the TLS a secret with ssl: true asks for', (key, mongoClientOptions) => {
    const error = settingsFor({ ssl: true }, { mongoClientOptions });

    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe(`mongoClientOptions.${key}`);
    expect((error as InvalidOptionError).message).not.toContain(PASSWORD);
  });

  it('refuses two spellings of one driver option, which the driver would read as one (the last wins)', () => {
    const error = settingsFor({ ssl: false }, { mongoClientOptions: { tls: true, TLS: false } as MongoClientOptions });

    expect((error as InvalidOptionError).option).toBe('mongoClientOptions.TLS');
  });

  it('refuses any spelling of auth: the credentials come from the secret', () => {
    const error = settingsFor({ ssl: false }, { mongoClientOptions: { Auth: { username: 'u', password: PASSWORD } } as MongoClientOptions });

    expect((error as InvalidOptionError).option).toBe('mongoClientOptions.Auth');
  });

  it('turns TLS on with the CA file for a secret with ssl: false when tlsCAFile is given: a CA file implies TLS', () => {
    const ca = caFile();
    const settings = settingsFor({ ssl: false }, { tlsCAFile: ca });
    if (settings instanceof InvalidOptionError) throw settings;

    const parsed = driverOptions(settings);

    expect(parsed.tls).toBe(true);
    expect(parsed.tlsCAFile).toBe(ca);
  });

  it.each<[string, MongoClientOptions]>([
    ['tlscafile', { tlscafile: caFile() } as MongoClientOptions],
    ['ca', { ca: '-----BEGIN CERTIFICATE-----' }],
  ])('turns TLS on for a secret with ssl: false when mongoClientOptions.%s gives a CA', (_key, mongoClientOptions) => {
    const settings = settingsFor({ ssl: false }, { mongoClientOptions });
    if (settings instanceof InvalidOptionError) throw settings;

    expect(driverOptions(settings).tls).toBe(true);
  });

  it('refuses tls: false together with a CA file, at start-up', () => {
    expect((settingsFor({ ssl: false }, { tlsCAFile: caFile(), mongoClientOptions: { tls: false } }) as InvalidOptionError).option).toBe('mongoClientOptions.tls');
    expect(optionError({ secretId: 's', tlsCAFile: caFile(), mongoClientOptions: { ssl: 'false' } }).option).toBe('mongoClientOptions.ssl');
  });

  it.each(['ca', 'secureContext', 'TLSCAFILE'])('refuses tlsCAFile together with mongoClientOptions.%s, which would make the driver ignore it', (key) => {
    expect(optionError({ secretId: 's', tlsCAFile: caFile(), mongoClientOptions: { [key]: 'x' } }).option).toBe(`mongoClientOptions.${key}`);
  });

  it('keeps plaintext for a secret with ssl: false and no CA, and lets mongoClientOptions turn TLS on', () => {
    const plain = settingsFor({ ssl: false }, {});
    const tls = settingsFor({ ssl: false }, { mongoClientOptions: { tls: true, tlsAllowInvalidHostnames: true } });
    if (plain instanceof InvalidOptionError || tls instanceof InvalidOptionError) throw new Error('refused');

    expect(driverOptions(plain).tls ?? false).toBe(false);
    expect(driverOptions(tls).tls).toBe(true);
  });

  it('lets an override of a default in another spelling replace it instead of standing beside it', () => {
    const settings = settingsFor({ ssl: false }, { mongoClientOptions: { DirectConnection: false } as MongoClientOptions });
    if (settings instanceof InvalidOptionError) throw settings;

    expect(settings.options).not.toHaveProperty('directConnection');
    expect(driverOptions(settings).directConnection).toBe(false);
  });
});
