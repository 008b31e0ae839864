import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthenticationRejectedError, ClosedError, InvalidSecretFormatError, TlsError } from '../../../src/errors.js';
import { getRedshiftPool, type RedshiftPool } from '../../../src/redshift/index.js';
import { Fixture, PASSWORD_1, PASSWORD_2, SECRET_ID } from './support/fixtures.js';

let fixture: Fixture;
let pool: RedshiftPool | undefined;

afterEach(async () => {
  await pool?.end();
  pool = undefined;
  await fixture?.close();
});

function poolFor(f: Fixture, extra: Partial<Omit<Parameters<typeof getRedshiftPool>[0], 'cache' | 'secretsManager' | 'secretsManagerConfig'>> = {}): RedshiftPool {
  pool = getRedshiftPool({ secretId: SECRET_ID, secretsManager: f.sm, onEvent: f.onEvent, recoveryBudgetMs: 3_000, ...extra });
  return pool;
}

describe('getRedshiftPool', () => {
  it('logs in with the username, password, host, port and dbname of the secret', async () => {
    fixture = await Fixture.start();
    const p = poolFor(fixture);

    const { rows } = await p.query('select current_user');

    expect(rows).toEqual([{ current_user: 'app' }]);
    expect(fixture.db.logins).toEqual([{ user: 'app', database: 'dev', accepted: true }]);
  });

  it('takes the username of each new connection from the current version (alternating users)', async () => {
    fixture = await Fixture.start();
    fixture.db.users.set('app_clone', PASSWORD_2);
    const p = poolFor(fixture, { poolConfig: { idleTimeoutMillis: 1 } });
    const first = await p.query('select current_user');
    const pending = await fixture.putPending({ username: 'app_clone', password: PASSWORD_2 });
    await fixture.promote(pending, (await p.credentials.current()).versionId);
    fixture.db.users.delete('app'); // the old user's password changes on the next rotation

    await new Promise((resolve) => setTimeout(resolve, 20)); // the idle connection closes
    const second = await p.query('select current_user');

    expect(first.rows[0].current_user).toBe('app');
    expect(second.rows[0].current_user).toBe('app_clone');
  });

  it('logs in with AWSPENDING while the database already wants it and AWSCURRENT is still old', async () => {
    fixture = await Fixture.start();
    await fixture.putPending({ password: PASSWORD_2 });
    fixture.db.users.set('app', PASSWORD_2); // setSecret ran, finishSecret not yet

    const p = poolFor(fixture);
    const { rows } = await p.query('select current_user');

    expect(rows[0].current_user).toBe('app');
    expect(fixture.events).toContainEqual(expect.objectContaining({ type: 'auth-recovery', recoveredFrom: 'pending' }));
    expect(fixture.db.logins.map((l) => l.accepted)).toEqual([false, true]);
  });

  it('answers a callback-style connect after recovering', async () => {
    fixture = await Fixture.start();
    await fixture.putPending({ password: PASSWORD_2 });
    fixture.db.users.set('app', PASSWORD_2);
    const p = poolFor(fixture);

    const user = await new Promise<string>((resolve, reject) => {
      p.connect((err, client, release) => {
        if (err || !client) return reject(err);
        client.query('select current_user').then((r) => {
          release();
          resolve(r.rows[0].current_user);
        }, reject);
      });
    });

    expect(user).toBe('app');
  });

  it('throws AuthenticationRejectedError after the budget when no version logs in, with one login per checkout', async () => {
    fixture = await Fixture.start();
    fixture.db.users.set('app', 'something else');
    const p = poolFor(fixture, { recoveryBudgetMs: 300 });

    const err = await p.query('select 1').catch((e: unknown) => e);

    expect(err).toBeInstanceOf(AuthenticationRejectedError);
    expect((err as AuthenticationRejectedError).secretId).toBe(SECRET_ID);
    expect(fixture.logins('rejected')).toBe(1);
    expect(fixture.sm.callCount('GetSecretValue')).toBeLessThanOrEqual(3);
  });

  it('passes a non-authentication login error through unchanged, without retrying', async () => {
    fixture = await Fixture.start();
    fixture.db.rule = () => ({ code: '3D000', message: 'database "dev" does not exist' });
    const p = poolFor(fixture);

    const err = await p.query('select 1').catch((e: unknown) => e);

    expect((err as { code?: string }).code).toBe('3D000');
    expect(fixture.db.logins).toHaveLength(1);
    expect(fixture.events.some((e) => e.type === 'auth-recovery')).toBe(false);
  });

  it('passes a refused TCP connection through unchanged', async () => {
    fixture = await Fixture.start();
    await fixture.db.close();
    const p = poolFor(fixture);

    const err = await p.query('select 1').catch((e: unknown) => e);

    expect((err as { code?: string }).code).toBe('ECONNREFUSED');
    expect(fixture.logins('error')).toBe(1);
  });

  it('never retries a query that fails with an authorization SQLSTATE on an open connection', async () => {
    fixture = await Fixture.start();
    const p = poolFor(fixture);

    const err = await p.query('select raise 28000').catch((e: unknown) => e);

    expect((err as { code?: string }).code).toBe('28000');
    expect(fixture.db.queries).toBe(1);
    expect(fixture.db.logins).toHaveLength(1);
  });

  it.each([
    ['says ssl: true', { ssl: true }],
    ['has no ssl field', { ssl: undefined }],
  ])('requires TLS when the secret %s: a refused TLS request is a TlsError, and no plaintext login follows', async (_, fields) => {
    fixture = await Fixture.start(fields);
    const p = poolFor(fixture);

    const err = await p.query('select 1').catch((e: unknown) => e);

    // pg reports the refusal by text only; this pins the text credentials/pg-tls-errors.ts knows it by.
    expect(err).toBeInstanceOf(TlsError);
    expect(err).toMatchObject({ reason: 'tls-refused', port: fixture.port });
    expect(fixture.db.sslRequests).toBe(1);
    expect(fixture.db.logins).toHaveLength(0);
  });

  it('uses host, port and database from poolConfig over the secret', async () => {
    fixture = await Fixture.start({ port: 1, dbname: 'nope' });
    const p = poolFor(fixture, { poolConfig: { port: fixture.port, database: 'analytics' } });

    await p.query('select 1');

    expect(fixture.db.logins[0]).toEqual({ user: 'app', database: 'analytics', accepted: true });
  });

  it('rejects a secret with a non-numeric port with InvalidSecretFormatError naming the field', async () => {
    fixture = await Fixture.start({ port: 'fifty' });
    const p = poolFor(fixture);

    const err = await p.query('select 1').catch((e: unknown) => e);

    expect(err).toBeInstanceOf(InvalidSecretFormatError);
    expect((err as InvalidSecretFormatError).field).toBe('port');
    expect((err as Error).message).not.toContain(PASSWORD_1);
  });

  it('keeps the password out of inspect(pool), inspect(client) and every event', async () => {
    fixture = await Fixture.start();
    await fixture.putPending({ password: PASSWORD_2 });
    fixture.db.users.set('app', PASSWORD_2);
    const p = poolFor(fixture);
    const client = await p.connect();

    const shown = [inspect(p, { depth: 6, showHidden: false }), inspect(client, { depth: 6 }), JSON.stringify(fixture.events)];
    client.release();

    for (const text of shown) {
      expect(text).not.toContain(PASSWORD_1);
      expect(text).not.toContain(PASSWORD_2);
    }
    expect(fixture.logins()).toBeGreaterThan(0);
  });

  it('keeps a checked-out connection working after the password changes', async () => {
    fixture = await Fixture.start();
    const p = poolFor(fixture);
    const client = await p.connect();

    fixture.db.users.set('app', PASSWORD_2);
    const { rows } = await client.query('select current_user');
    client.release();

    expect(rows[0].current_user).toBe('app');
    expect(fixture.db.logins).toHaveLength(1);
  });

  it('fails with pg-pool connection timeout, without logging in, when reading the secret outlasts connectionTimeoutMillis', async () => {
    fixture = await Fixture.start();
    fixture.sm.injectFault({ command: 'GetSecretValue', delayMs: 300, times: 1 });
    const p = poolFor(fixture, { poolConfig: { connectionTimeoutMillis: 50 } });

    const err = await p.query('select 1').catch((e: unknown) => e);

    expect((err as Error).message).toMatch(/timeout/);
    expect(fixture.db.logins).toHaveLength(0);
  });

  it('ends idempotently and closes the cache it built', async () => {
    fixture = await Fixture.start();
    const p = poolFor(fixture);
    await p.query('select 1');

    await Promise.all([p.end(), p.end()]);
    await p.close();

    await expect(p.credentials.current()).rejects.toBeInstanceOf(ClosedError);
    pool = undefined;
  });
});
