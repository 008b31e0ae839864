import { describe, expect, it } from 'vitest';
import type { DatabaseSecret } from '../../../../src/credentials/parse.js';
import { InvalidSecretFormatError } from '../../../../src/errors.js';
import { adapterMongoSettings, createDocumentDbAdapter } from '../../../../src/rotation/adapters/documentdb.js';

const PASSWORD = 'pw/?authMechanism=PLAIN&x=@:';
const CONNECT = { connectTimeoutMs: 1_000, queryTimeoutMs: 1_000, tlsCAFile: undefined };

function secret(host: string): DatabaseSecret {
  return {
    secretId: 'app/docdb',
    versionId: 'v1',
    versionStages: ['AWSCURRENT'],
    engine: 'mongo',
    host,
    port: 27017,
    username: 'app',
    password: PASSWORD,
    dbname: undefined,
    ssl: false,
    masterarn: undefined,
  };
}

describe('DocumentDB rotation adapter: the URI it connects to', () => {
  it.each([
    ['docdb.cluster-abc.us-west-2.docdb.amazonaws.com', 'mongodb://docdb.cluster-abc.us-west-2.docdb.amazonaws.com:27017/'],
    ['127.0.0.1', 'mongodb://127.0.0.1:27017/'],
    ['::1', 'mongodb://[::1]:27017/'],
  ])('accepts host %j as %s, with the credentials only in the options', (host, url) => {
    const settings = adapterMongoSettings(secret(host), CONNECT);

    expect(settings.url).toBe(url);
    expect(settings.options.auth).toEqual({ username: 'app', password: PASSWORD });
  });

  it.each(['h/?authMechanism=PLAIN&x=', 'a@b', 'h:1'])(
    'rejects host %j before connecting, with InvalidSecretFormatError naming host and not showing the password',
    async (host) => {
      const adapter = createDocumentDbAdapter(CONNECT);

      const errors = await Promise.all([adapter.canLogIn(secret(host)).catch((err: unknown) => err), adapter.openSession(secret(host)).catch((err: unknown) => err)]);

      for (const error of errors) {
        expect(error).toBeInstanceOf(InvalidSecretFormatError);
        expect(error).toMatchObject({ field: 'host', secretId: 'app/docdb', versionId: 'v1' });
        expect(String(error)).not.toContain(PASSWORD);
      }
    },
  );
});

describe('DocumentDB rotation adapter: TLS', () => {
  it('uses TLS with the CA file for a secret saying ssl: false when a CA file is given (a CA file implies TLS)', () => {
    const settings = adapterMongoSettings(secret('127.0.0.1'), { ...CONNECT, tlsCAFile: '/opt/app/global-bundle.pem' });

    expect(settings.options.tls).toBe(true);
    expect(settings.options.tlsCAFile).toBe('/opt/app/global-bundle.pem');
  });

  it('uses TLS for a secret saying ssl: true, and plaintext only for ssl: false without a CA file', () => {
    expect(adapterMongoSettings({ ...secret('127.0.0.1'), ssl: true }, CONNECT).options.tls).toBe(true);
    expect(adapterMongoSettings(secret('127.0.0.1'), CONNECT).options.tls).toBe(false);
  });
});
