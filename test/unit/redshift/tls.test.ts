import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SecretVersion } from '../../../src/cache/secret-version.js';
import { parseRedshiftSecret, type RedshiftSecret } from '../../../src/credentials/parse.js';
import { InvalidOptionError } from '../../../src/errors.js';
import { prepareTls, tlsFor } from '../../../src/redshift/tls.js';

function secret(ssl: boolean): RedshiftSecret {
  const value = JSON.stringify({ engine: 'redshift', host: 'h', username: 'u', password: 'p', ssl });
  return parseRedshiftSecret(new SecretVersion({ arn: undefined, name: 's', versionId: 'v1', versionStages: ['AWSCURRENT'], createdDate: undefined }, { secretString: value }));
}

describe('TLS for a Redshift connection', () => {
  it('requires TLS with certificate verification when the secret says ssl: true', () => {
    expect(tlsFor(secret(true), prepareTls(undefined))).toEqual({ rejectUnauthorized: true });
  });

  it('connects in plaintext when neither the secret nor the caller asks for TLS', () => {
    expect(tlsFor(secret(false), prepareTls(undefined))).toBe(false);
  });

  it('refuses ssl: false when the secret requires TLS', () => {
    expect(() => tlsFor(secret(true), prepareTls(false))).toThrow(InvalidOptionError);
  });

  it('passes the caller TLS options through, verification on unless turned off', () => {
    const tls = tlsFor(secret(true), prepareTls({ ca: 'CA PEM', servername: 'cluster.example' }));
    expect(tls).toEqual({ rejectUnauthorized: true, ca: 'CA PEM', servername: 'cluster.example' });
    expect(tlsFor(secret(false), prepareTls({ rejectUnauthorized: false }))).toEqual({ rejectUnauthorized: false });
  });

  it('keeps the private key usable but out of inspect output', () => {
    const tls = prepareTls({ key: 'PRIVATE KEY PEM' }) as { key?: string };
    expect(tls.key).toBe('PRIVATE KEY PEM');
    expect(inspect(tls)).not.toContain('PRIVATE KEY PEM');
  });
});
