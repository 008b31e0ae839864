import { inspect } from 'node:util';
import type { ConnectionOptions } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { SecretVersion } from '../../../src/secrets-manager/secret-version.js';
import { parseRedshiftSecret, type RedshiftSecret } from '../../../src/credentials/parse.js';
import { InvalidOptionError, TlsError } from '../../../src/errors.js';
import { prepareTls, sslModeFrom, tlsFor, type SslMode } from '../../../src/credentials/pg-tls.js';
import { PG_TLS_REFUSED_MESSAGE, tlsFailure, type TlsFailureContext } from '../../../src/credentials/pg-tls-errors.js';

type SslField = boolean | 'absent';

function secret(ssl: SslField, host = 'h'): RedshiftSecret {
  const value = JSON.stringify({ engine: 'redshift', host, username: 'u', password: 'p', ...(ssl === 'absent' ? {} : { ssl }) });
  return parseRedshiftSecret(new SecretVersion({ arn: undefined, name: 's', versionId: 'v1', versionStages: ['AWSCURRENT'], createdDate: undefined }, { secretString: value }));
}

/** What a connection gets, summarised: plaintext, or TLS and what it verifies. */
function summary(ssl: ConnectionOptions | false): string {
  if (ssl === false) return 'plaintext';
  if (ssl.rejectUnauthorized === false) return 'tls, unverified';
  // Node checks the host name itself unless checkServerIdentity replaces the check.
  const check = ssl.checkServerIdentity;
  return check === undefined || check('nowhere.example', {} as never) !== undefined ? 'tls, verified' : 'tls, chain only';
}

const choose = (ssl: SslField, option?: Parameters<typeof prepareTls>[0], mode?: SslMode) => tlsFor(secret(ssl), prepareTls(option, mode));

describe('TLS for a Redshift/PostgreSQL connection', () => {
  it.each([
    // secret's ssl, PGSSLMODE, expected
    [true, undefined, 'tls, verified'],
    [false, undefined, 'plaintext'],
    ['absent', undefined, 'tls, verified'],
    ['absent', 'verify-full', 'tls, verified'],
    ['absent', 'prefer', 'tls, verified'],
    ['absent', 'allow', 'tls, verified'],
    ['absent', 'verify-ca', 'tls, chain only'],
    ['absent', 'require', 'tls, unverified'],
    ['absent', 'no-verify', 'tls, unverified'],
    ['absent', 'disable', 'plaintext'],
    [true, 'disable', 'tls, verified'],
    [true, 'require', 'tls, verified'],
    [true, 'verify-ca', 'tls, verified'],
    [false, 'verify-full', 'plaintext'],
  ] as const)('secret ssl %s with PGSSLMODE %s and no ssl option: %s', (ssl, mode, expected) => {
    expect(summary(choose(ssl, undefined, mode).ssl)).toBe(expected);
  });

  it('verifies the host name against Node\'s check even when the caller gives checkServerIdentity for an ssl: true secret', () => {
    const calls: string[] = [];
    const tls = choose(true, { ca: 'CA', checkServerIdentity: (host) => void calls.push(host) }).ssl as ConnectionOptions;

    expect(summary(tls)).toBe('tls, verified');
    expect(calls).toEqual([]); // Node's check failed first
  });

  it.each([
    ['ssl', false],
    ['ssl.rejectUnauthorized', { rejectUnauthorized: false }],
  ] as const)('refuses the option %s when the secret says ssl: true, whatever PGSSLMODE says', (option, ssl) => {
    const attempt = () => choose(true, ssl, 'disable');

    expect(attempt).toThrow(InvalidOptionError);
    expect(attempt).toThrow(expect.objectContaining({ option }));
  });

  it('lets the caller choose for a secret without an ssl field: false is plaintext, options are TLS', () => {
    expect(choose('absent', false, 'verify-full').ssl).toBe(false);
    expect(summary(choose('absent', true, 'disable').ssl)).toBe('tls, verified');
    expect(summary(choose('absent', { ca: 'CA' }, 'disable').ssl)).toBe('tls, verified');
    expect(summary(choose('absent', { rejectUnauthorized: false }).ssl)).toBe('tls, unverified');
  });

  it('verifies the chain of a given CA under PGSSLMODE=require, as libpq does with a root certificate', () => {
    expect(summary(choose('absent', { ca: 'CA' }, 'require').ssl)).toBe('tls, chain only');
  });

  it('turns TLS on for an ssl: false secret when the caller gives TLS options (a given CA implies TLS)', () => {
    expect(choose(false, { ca: 'CA PEM', servername: 'cluster.example' }).ssl).toEqual({ rejectUnauthorized: true, ca: 'CA PEM', servername: 'cluster.example' });
    expect(summary(choose(false, true).ssl)).toBe('tls, verified');
  });

  it('says what decided, for errors and warnings', () => {
    expect(choose(false).decidedBy).toBe('the secret says "ssl": false');
    expect(choose('absent', undefined, 'disable').decidedBy).toBe('the secret has no "ssl" field and PGSSLMODE is disable');
    expect(choose(true).decidedBy).toBe('the secret says "ssl": true');
  });

  it('reads PGSSLMODE, refusing a value libpq does not know with InvalidOptionError naming it', () => {
    expect(sslModeFrom({ PGSSLMODE: 'verify-ca' })).toBe('verify-ca');
    expect(sslModeFrom({ PGSSLMODE: '' })).toBeUndefined();
    expect(sslModeFrom({})).toBeUndefined();
    expect(() => sslModeFrom({ PGSSLMODE: 'VERIFY-FULL' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'PGSSLMODE' }));
  });

  it('keeps the private key usable but out of inspect output, through every resolution', () => {
    const policy = prepareTls({ key: 'PRIVATE KEY PEM', ca: 'CA' }, 'require');
    for (const ssl of [true, false, 'absent'] as const) {
      const tls = tlsFor(secret(ssl), policy).ssl as { key?: string };
      expect(tls.key).toBe('PRIVATE KEY PEM');
      expect(inspect(tls)).not.toContain('PRIVATE KEY PEM');
    }
  });
});

describe('tlsFailure', () => {
  const at = (host: string, caOption: TlsFailureContext['caOption'] = 'ssl'): TlsFailureContext => ({
    secretId: 's',
    host,
    port: 5432,
    choice: { ssl: { rejectUnauthorized: true }, decidedBy: 'the secret has no "ssl" field (TLS with verification by default)' },
    caOption,
  });
  const untrusted = Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });

  it('tells an RDS user to pass the RDS CA bundle, under the option of the factories or of the engine', () => {
    const host = 'db.abc123.eu-west-1.rds.amazonaws.com';

    const fromFactory = tlsFailure(untrusted, at(host));
    const fromEngine = tlsFailure(untrusted, at(host, 'tlsCAFile'));

    expect(fromFactory).toBeInstanceOf(TlsError);
    expect(fromFactory).toMatchObject({ code: 'ERR_TLS', reason: 'untrusted-certificate', host, port: 5432, cause: untrusted });
    expect(fromFactory?.message).toMatch(/RDS CA bundle \(global-bundle\.pem.*as the "ssl" option: ssl: \{ ca: readFileSync\('global-bundle\.pem'/);
    expect(fromEngine?.message).toMatch(/RDS CA bundle .*the "tlsCAFile" option \(credstage rotate --tls-ca-file global-bundle\.pem\)/);
  });

  it('tells a Redshift user that its certificates chain to public roots', () => {
    const error = tlsFailure(untrusted, at('c1.abc123.us-east-1.redshift.amazonaws.com'));

    expect(error?.message).toMatch(/Redshift's certificates chain to public roots/);
  });

  it('names a host mismatch and a refused TLS request, and leaves other errors alone', () => {
    const mismatch = Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    const refused = new Error(PG_TLS_REFUSED_MESSAGE);
    const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

    expect(tlsFailure(mismatch, at('10.0.0.1'))).toMatchObject({ reason: 'host-mismatch' });
    expect(tlsFailure(refused, at('10.0.0.1'))?.message).toMatch(/does not accept TLS, which is required because the secret has no "ssl" field/);
    expect(tlsFailure(down, at('10.0.0.1'))).toBeUndefined();
    expect(tlsFailure(untrusted, { ...at('10.0.0.1'), choice: { ssl: false, decidedBy: '' } })).toBeUndefined();
  });
});
