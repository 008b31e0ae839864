import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { InvalidOptionError, TlsError } from '../../../src/errors.js';
import { getRedshiftClient, getRedshiftPool, type RedshiftEvent } from '../../../src/redshift/index.js';
import { newPassword } from '../../support/aws-style-rotator.js';
import { servers } from '../../support/servers.js';
import { createRole, createSecret, dbSecret, logins, sessionUsesTls, tlsAdminClient, tlsDbSecret, withSslMode } from './support.js';
import { uniqueName } from '../../support/names.js';
import { countingMotoClient } from '../../support/moto.js';

/** What a factory call ended with: the pool's first query, or the client's connect. */
async function failureOf(attempt: Promise<unknown>): Promise<unknown> {
  return attempt.then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('Redshift factories against a PostgreSQL with TLS on (certificate from a CA made in the test)', () => {
  let admin: pg.Client;
  let ca: string;
  let otherCa: string;
  const sm = countingMotoClient().sm;

  beforeAll(async () => {
    admin = await tlsAdminClient();
    ca = readFileSync(servers().postgresTls.caFile, 'utf8');
    otherCa = readFileSync(servers().postgresTls.otherCaFile, 'utf8');
  });
  afterAll(async () => {
    await admin?.end();
    sm.destroy();
  });

  /**
   * A role on the TLS server and a secret for it. `tlsOnly`: the role may log in over TLS only,
   * so any plaintext attempt is rejected by the server itself.
   */
  async function tlsSecret(extra: Record<string, unknown> = {}, { tlsOnly = false } = {}): Promise<{ secretId: string; role: string }> {
    const role = uniqueName('tls');
    const password = newPassword();
    await createRole(admin, role, password, tlsOnly ? servers().postgresTls.tlsOnlyRole : undefined);
    const secretId = `test/redshift-tls/${role}`;
    await createSecret(sm, secretId, tlsDbSecret(role, password, extra));
    return { secretId, role };
  }

  /** Runs `body` with a pool for `secretId`, ended after. */
  async function withPool<T>(options: Omit<Parameters<typeof getRedshiftPool>[0], 'cache' | 'secretsManager' | 'secretsManagerConfig'>, body: (pool: pg.Pool) => Promise<T>): Promise<T> {
    const pool = getRedshiftPool({ recoveryBudgetMs: 1_000, ...options, secretsManager: sm });
    pool.on('error', () => undefined);
    try {
      return await body(pool);
    } finally {
      await pool.end();
    }
  }

  it('a secret without an "ssl" field means verified TLS: a private CA is not trusted by default and nothing falls back to plaintext', async () => {
    const { secretId } = await tlsSecret();
    const events: RedshiftEvent[] = [];

    const error = await withPool({ secretId, onEvent: (e) => events.push(e) }, (pool) => failureOf(pool.query('select 1')));

    expect(error).toMatchObject({ code: 'ERR_TLS', reason: 'untrusted-certificate' });
    expect(logins(events, 'ok')).toEqual([]);
  });

  describe('verified TLS works', () => {
    it.each([
      ['without an "ssl" field', {}],
      ['saying "ssl": true', { ssl: true }],
    ])('pool, secret %s, CA given as ssl.ca: the server sees TLS', async (_, extra) => {
      const { secretId } = await tlsSecret(extra, { tlsOnly: true });

      const tls = await withPool({ secretId, ssl: { ca } }, (pool) => sessionUsesTls(pool));

      expect(tls).toBe(true);
    });

    it('client, secret without an "ssl" field, CA given as ssl.ca: the server sees TLS', async () => {
      const { secretId } = await tlsSecret({}, { tlsOnly: true });

      const client = await getRedshiftClient({ secretId, secretsManager: sm, ssl: { ca } });
      try {
        expect(await sessionUsesTls(client)).toBe(true);
      } finally {
        await client.end();
      }
    });
  });

  describe('a CA that did not sign the server certificate fails with TlsError, no fallback', () => {
    it.each([['without an "ssl" field', {}], ['saying "ssl": true', { ssl: true }]])('pool, secret %s', async (_, extra) => {
      const { secretId } = await tlsSecret(extra);

      const error = await withPool({ secretId, ssl: { ca: otherCa } }, (pool) => failureOf(pool.query('select 1')));

      expect(error).toBeInstanceOf(TlsError);
      expect(error).toMatchObject({ reason: 'untrusted-certificate', host: '127.0.0.1', retryable: false });
      expect((error as Error).message).toMatch(/certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE.*"ssl" option/);
    });

    it('client', async () => {
      const { secretId } = await tlsSecret();

      const error = await failureOf(getRedshiftClient({ secretId, secretsManager: sm, ssl: { ca: otherCa } }));

      expect(error).toMatchObject({ code: 'ERR_TLS', reason: 'untrusted-certificate' });
    });
  });

  describe('a host the certificate does not name fails with TlsError, no fallback', () => {
    // The certificate names IP 127.0.0.1; the same server also listens on 127.0.0.2.
    const unnamed = () => ({ host: servers().postgresTls.unnamedHost });

    it('pool', async () => {
      const { secretId } = await tlsSecret(unnamed(), { tlsOnly: true });

      const error = await withPool({ secretId, ssl: { ca } }, (pool) => failureOf(pool.query('select 1')));

      expect(error).toMatchObject({ code: 'ERR_TLS', reason: 'host-mismatch', host: '127.0.0.2' });
      expect((error as Error).message).toMatch(/does not name "127\.0\.0\.2"/);
    });

    it('client', async () => {
      const { secretId } = await tlsSecret(unnamed());

      const error = await failureOf(getRedshiftClient({ secretId, secretsManager: sm, ssl: { ca } }));

      expect(error).toMatchObject({ code: 'ERR_TLS', reason: 'host-mismatch' });
    });
  });

  it('an RDS-looking host whose certificate is not trusted gets an error saying to pass the RDS CA bundle as ssl.ca', async () => {
    const rdsHost = 'mydb.c1a2b3c4d5e6.us-east-1.rds.amazonaws.com';
    const { secretId } = await tlsSecret({ host: rdsHost });
    const { port } = servers().postgresTls;
    // The secret names an RDS endpoint; the socket goes to the loopback TLS server (tests reach
    // nothing else), so TLS verification runs against the RDS name as it would in AWS.
    class Loopback extends Socket {
      override connect(...args: unknown[]): this {
        void args;
        return super.connect(port, '127.0.0.1');
      }
    }

    const error = await failureOf(getRedshiftClient({ secretId, secretsManager: sm, connectionConfig: { stream: () => new Loopback() } }));

    expect(error).toMatchObject({ code: 'ERR_TLS', reason: 'untrusted-certificate', host: rdsHost });
    expect((error as Error).message).toMatch(/RDS CA bundle \(global-bundle\.pem.*the "ssl" option: ssl: \{ ca: readFileSync\('global-bundle\.pem'/);
  });

  describe('"ssl": true is never downgraded', () => {
    it.each(['disable', 'require', 'no-verify', 'allow', 'prefer', 'verify-ca'])('PGSSLMODE=%s: still TLS with full verification', async (mode) => {
      const { secretId } = await tlsSecret({ ssl: true, host: servers().postgresTls.unnamedHost }, { tlsOnly: true });

      const error = await withSslMode(mode, () => withPool({ secretId, ssl: { ca } }, (pool) => failureOf(pool.query('select 1'))));

      // The host name is still checked: verify-ca, require and disable did not apply.
      expect(error).toMatchObject({ code: 'ERR_TLS', reason: 'host-mismatch' });
    });

    it('PGSSLMODE=disable: the session uses TLS', async () => {
      const { secretId } = await tlsSecret({ ssl: true }, { tlsOnly: true });

      const tls = await withSslMode('disable', () => withPool({ secretId, ssl: { ca } }, (pool) => sessionUsesTls(pool)));

      expect(tls).toBe(true);
    });

    it.each([
      ['ssl', false],
      ['ssl.rejectUnauthorized', { ca: 'x', rejectUnauthorized: false }],
    ])('the option %s is refused with InvalidOptionError at connect, before any byte is sent', async (option, ssl) => {
      const { secretId } = await tlsSecret({ ssl: true });
      const events: RedshiftEvent[] = [];

      const error = await withPool({ secretId, ssl, onEvent: (e) => events.push(e) }, (pool) => failureOf(pool.query('select 1')));

      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).option).toBe(option);
      expect(logins(events)).toEqual([]);
    });

    it('a checkServerIdentity option runs after the host name check, never instead of it', async () => {
      const { secretId } = await tlsSecret({ ssl: true, host: servers().postgresTls.unnamedHost });

      const error = await withPool({ secretId, ssl: { ca, checkServerIdentity: () => undefined } }, (pool) => failureOf(pool.query('select 1')));

      expect(error).toMatchObject({ code: 'ERR_TLS', reason: 'host-mismatch' });
    });
  });

  describe('PGSSLMODE chooses when the secret has no "ssl" field', () => {
    it('disable: plaintext', async () => {
      const { secretId } = await tlsSecret();

      const tls = await withSslMode('disable', () => withPool({ secretId }, (pool) => sessionUsesTls(pool)));

      expect(tls).toBe(false);
    });

    it.each(['require', 'no-verify'])('%s: TLS without certificate verification', async (mode) => {
      const { secretId } = await tlsSecret({}, { tlsOnly: true });

      const tls = await withSslMode(mode, () => withPool({ secretId }, (pool) => sessionUsesTls(pool)));

      expect(tls).toBe(true);
    });

    it('require with a CA given: the chain is verified (as libpq does with a root certificate)', async () => {
      const { secretId } = await tlsSecret();

      const error = await withSslMode('require', () => withPool({ secretId, ssl: { ca: otherCa } }, (pool) => failureOf(pool.query('select 1'))));

      expect(error).toMatchObject({ code: 'ERR_TLS', reason: 'untrusted-certificate' });
    });

    it('verify-ca: the chain is verified, the host name is not', async () => {
      const { secretId } = await tlsSecret({ host: servers().postgresTls.unnamedHost }, { tlsOnly: true });

      const tls = await withSslMode('verify-ca', () => withPool({ secretId, ssl: { ca } }, (pool) => sessionUsesTls(pool)));
      const untrusted = await withSslMode('verify-ca', () => withPool({ secretId, ssl: { ca: otherCa } }, (pool) => failureOf(pool.query('select 1'))));

      expect(tls).toBe(true);
      expect(untrusted).toMatchObject({ code: 'ERR_TLS', reason: 'untrusted-certificate' });
    });

    it.each(['verify-full', 'prefer', 'allow'])('%s: the host name is checked too, and nothing falls back to plaintext', async (mode) => {
      const { secretId } = await tlsSecret({ host: servers().postgresTls.unnamedHost });

      const error = await withSslMode(mode, () => withPool({ secretId, ssl: { ca } }, (pool) => failureOf(pool.query('select 1'))));

      expect(error).toMatchObject({ code: 'ERR_TLS', reason: 'host-mismatch' });
    });

    it('an unknown PGSSLMODE is refused with InvalidOptionError naming it', async () => {
      const { secretId } = await tlsSecret();

      const error = await withSslMode('verify_full', async () => {
        try {
          getRedshiftPool({ secretId, secretsManager: sm });
        } catch (err) {
          return err;
        }
        return undefined;
      });

      expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'PGSSLMODE' });
    });
  });

  it('"ssl": false connects in plaintext, on purpose, even to a server that offers TLS', async () => {
    const { secretId } = await tlsSecret({ ssl: false });

    const tls = await withSslMode('verify-full', () => withPool({ secretId }, (pool) => sessionUsesTls(pool)));

    expect(tls).toBe(false);
  });

  it.each(['pool', 'client'])(
    '%s: a secret without an "ssl" field against a plaintext-only server fails with TlsError (TLS refused), no plaintext login',
    async (kind) => {
      const role = uniqueName('plain');
      const password = newPassword();
      const { ssl: _plaintext, ...silent } = dbSecret(role, password);
      const secretId = `test/redshift-tls/${role}`;
      await createSecret(sm, secretId, silent as typeof silent & { username: string; password: string });
      const events: RedshiftEvent[] = [];
      const onEvent = (e: RedshiftEvent): number => events.push(e);

      const error =
        kind === 'pool'
          ? await withPool({ secretId, onEvent }, (pool) => failureOf(pool.query('select 1')))
          : await failureOf(getRedshiftClient({ secretId, secretsManager: sm, onEvent }));

      expect(error).toMatchObject({ code: 'ERR_TLS', reason: 'tls-refused', port: servers().postgres.port });
      expect((error as Error).message).toMatch(/the secret has no "ssl" field.*"ssl": false in the secret/);
      expect(logins(events, 'ok')).toEqual([]);
    },
  );
});
