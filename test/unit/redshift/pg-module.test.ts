import { inspect } from 'node:util';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { AuthenticationRejectedError, InvalidOptionError } from '../../../src/errors.js';
import { pgModule } from '../../../src/redshift/index.js';
import { ormSettings } from '../../../src/redshift/pg-module.js';
import { PASSWORD_1, PASSWORD_2, pgModuleTestKit, SECRET_ID } from './support/fixtures.js';

const { startFixture, moduleFor, endAfterTest } = pgModuleTestKit();

/** connect() through the callback form Sequelize uses, recording the client's `end` events seen before the callback. */
function connectLikeSequelize(client: pg.Client): Promise<{ err: Error | null; endsBeforeCallback: number }> {
  let ends = 0;
  client.on('end', () => ends++);
  return new Promise((resolve) => client.connect((err: Error | null) => resolve({ err: err ?? null, endsBeforeCallback: ends })));
}

describe('pgModule: the ORM settings rule', () => {
  it('refuses credentials, a URL, a database and TLS settings in the ORM settings, naming the field and the secret', () => {
    for (const key of ['user', 'password', 'connectionString', 'database', 'ssl']) {
      const call = () => ormSettings(SECRET_ID, 'Pool', { [key]: key === 'ssl' ? true : 'x' });
      expect(call).toThrow(InvalidOptionError);
      expect(call).toThrow(`"Pool settings.${key}"`);
      expect(call).toThrow(SECRET_ID);
    }
  });

  it('ignores the host and port the ORM passes and keeps every other pg setting', () => {
    const settings = ormSettings(SECRET_ID, 'Client', { host: 'localhost', port: 5432, password: null, user: undefined, statement_timeout: 5000, max: 3 });

    expect(settings).toEqual({ statement_timeout: 5000, max: 3 });
  });

  it('refuses a stream that is not a function (a rejected login is retried on a new socket)', () => {
    expect(() => ormSettings(SECRET_ID, 'Client', { stream: {} })).toThrow('"Client settings.stream"');
  });

  it('refuses unknown options and secret-owned keys in connectionConfig up front', async () => {
    const fixture = await startFixture();
    const sm = fixture.sm;

    expect(() => pgModule({ secretId: SECRET_ID, secretsManager: sm, max: 3 } as never)).toThrow('"max"');
    expect(() => pgModule({ secretId: SECRET_ID, secretsManager: sm, connectionConfig: { user: 'x' } } as never)).toThrow('"connectionConfig.user"');
    expect(() => pgModule({ secretsManager: sm } as never)).toThrow('"secretId"');
  });
});

describe('pgModule', () => {
  it('is pg without pg-native: types, defaults and escapeIdentifier are pg\'s own, native is null', async () => {
    const fixture = await startFixture();
    const m = moduleFor(fixture);

    expect(m.types).toBe(pg.types);
    expect(m.defaults).toBe(pg.defaults);
    expect(m.escapeIdentifier('a"b')).toBe('"a""b"');
    expect(m.native).toBeNull();
    expect(new m.Client()).toBeInstanceOf(pg.Client);
    expect(inspect(m, { depth: 4 })).not.toContain(PASSWORD_1);
  });

  it('Client logs in with the secret whatever host, port and Sequelize defaults the ORM passes', async () => {
    const fixture = await startFixture();
    const m = moduleFor(fixture);
    const client = new m.Client({ host: 'localhost', port: 5432, password: null } as never);
    endAfterTest(client);

    const { err } = await connectLikeSequelize(client);
    const { rows } = await client.query('select current_user');

    expect(err).toBeNull();
    expect(rows[0].current_user).toBe('app');
    expect(fixture.db.logins).toEqual([{ user: 'app', database: 'dev', accepted: true }]);
  });

  it('Client recovers on the same instance during the rotation window, without an end event before the callback', async () => {
    const fixture = await startFixture();
    await fixture.putPending({ password: PASSWORD_2 });
    fixture.db.users.set('app', PASSWORD_2); // setSecret ran, finishSecret not yet
    const m = moduleFor(fixture);
    const client = new m.Client();
    endAfterTest(client);
    let backendKeyData = 0;
    client.connection.on('backendKeyData', () => backendKeyData++); // as Sequelize listens for parameterStatus

    const { err, endsBeforeCallback } = await connectLikeSequelize(client);
    const { rows } = await client.query('select current_user');

    expect(err).toBeNull();
    expect(endsBeforeCallback).toBe(0);
    expect(backendKeyData).toBe(1);
    expect(rows[0].current_user).toBe('app');
    expect(fixture.db.logins.map((l) => l.accepted)).toEqual([false, true]);
    expect(fixture.events).toContainEqual(expect.objectContaining({ type: 'auth-recovery', recoveredFrom: 'pending' }));
  });

  it('Client gives up with AuthenticationRejectedError once the budget is spent, then emits end', async () => {
    const fixture = await startFixture();
    fixture.db.users.set('app', 'nobody-knows-this');
    const m = moduleFor(fixture, { recoveryBudgetMs: 200 });
    const client = new m.Client();
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));

    const { err, endsBeforeCallback } = await connectLikeSequelize(client);

    expect(err).toBeInstanceOf(AuthenticationRejectedError);
    expect(endsBeforeCallback).toBe(0);
    await ended;
    expect(fixture.logins('rejected')).toBeGreaterThanOrEqual(1);
  });

  it('Pool recovers like getRedshiftPool, and its Pools and Clients share one credentials object and cache', async () => {
    const fixture = await startFixture();
    await fixture.putPending({ password: PASSWORD_2 });
    fixture.db.users.set('app', PASSWORD_2);
    const m = moduleFor(fixture);
    const pool = new m.Pool({ max: 2, host: 'localhost', port: 5432 } as never);

    const { rows } = await pool.query('select current_user');
    await pool.end(); // must not close the module's cache
    const client = new m.Client();
    endAfterTest(client);
    await client.connect();

    expect(rows[0].current_user).toBe('app');
    expect(pool.credentials).toBe(m.credentials);
    expect(fixture.events.filter((e) => e.type === 'auth-recovery')).toHaveLength(1);
    expect(fixture.db.logins.map((l) => l.accepted)).toEqual([false, true, true]);
  });

  it('Pool refuses a password in the ORM settings when the ORM builds it', async () => {
    const fixture = await startFixture();
    const m = moduleFor(fixture);

    expect(() => new m.Pool({ password: 'from-the-orm-config' })).toThrow('"Pool settings.password"');
  });

  it('connectionConfig sets defaults for every connection; its database overrides the secret\'s dbname', async () => {
    const fixture = await startFixture();
    const m = moduleFor(fixture, { connectionConfig: { database: 'reporting', application_name: 'orm' } });
    const client = new m.Client();
    endAfterTest(client);

    await client.connect();

    expect(fixture.db.logins).toEqual([{ user: 'app', database: 'reporting', accepted: true }]);
  });

  it('close() is safe to call twice', async () => {
    const fixture = await startFixture();
    const m = moduleFor(fixture);

    await m.close();
    await expect(m.close()).resolves.toBeUndefined();
  });
});
