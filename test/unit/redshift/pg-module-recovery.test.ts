import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ClosedError, InvalidOptionError } from '../../../src/errors.js';
import { getRedshiftPool, pgModule, type RedshiftEvent } from '../../../src/redshift/index.js';
import { PASSWORD_2, pgModuleTestKit, SECRET_ID, type Fixture } from './support/fixtures.js';

const { startFixture, moduleFor, endAfterTest } = pgModuleTestKit();

/** The rotation window: the database has the new password, AWSPENDING holds it, AWSCURRENT still the old one. */
async function inRotationWindow(): Promise<Fixture> {
  const f = await startFixture();
  await f.putPending({ password: PASSWORD_2 });
  f.db.users.set('app', PASSWORD_2);
  return f;
}

describe('pgModule Client: connect() recovering on the same instance', () => {
  it('runs a query queued before connect() finished once, after the recovered login, instead of failing it', async () => {
    const fixture = await inRotationWindow();
    const m = moduleFor(fixture);
    const client = new m.Client();
    endAfterTest(client);

    const connecting = client.connect();
    const queued = client.query('select current_user'); // pg queues it until the login is done

    await connecting;
    const { rows } = await queued;

    expect(rows[0].current_user).toBe('app');
    expect(fixture.db.queries).toBe(1);
    expect(fixture.db.logins.map((l) => l.accepted)).toEqual([false, true]);
  });

  it('end() called while connect() recovers stops it: connect() rejects with ClosedError, no second login, no socket left open', async () => {
    const fixture = await inRotationWindow();
    let client: pg.Client | undefined;
    let ending: Promise<void> | undefined;
    const m = moduleFor(fixture, {
      onEvent: (event: RedshiftEvent) => {
        fixture.onEvent(event);
        // The app shuts down right after the first login was rejected, while credstage recovers.
        if (event.type === 'login' && event.outcome === 'rejected') ending ??= client!.end();
      },
    });
    client = new m.Client();

    const outcome = await client.connect().then(
      () => 'connected',
      (err: unknown) => err,
    );
    await ending;

    expect(outcome).toBeInstanceOf(ClosedError);
    expect(fixture.db.logins.map((l) => l.accepted)).toEqual([false]);
    expect(client.connection.stream.destroyed).toBe(true);
  });

  it('end() called while connect() reads the secret stops it: connect() rejects with ClosedError and no login is made', async () => {
    const fixture = await startFixture();
    const m = moduleFor(fixture);
    const client = new m.Client();

    const connecting = client.connect();
    await client.end();

    await expect(connecting).rejects.toBeInstanceOf(ClosedError);
    expect(fixture.db.logins).toEqual([]);
  });

  it('fails a queued query with the connect error when no credentials work, instead of leaving it pending', async () => {
    const fixture = await startFixture();
    fixture.db.users.set('app', 'nobody-knows-this');
    const m = moduleFor(fixture, { recoveryBudgetMs: 100 });
    const client = new m.Client();

    const connecting = client.connect();
    const queued = client.query('select current_user');

    const err = await connecting.catch((e: unknown) => e);
    await expect(queued).rejects.toBe(err);
    expect(fixture.db.queries).toBe(0);
  });
});

describe('pgModule settings: a password cannot come in through the host', () => {
  it('refuses a URL with credentials as connectionConfig.host or poolConfig.host without printing it', async () => {
    const fixture = await startFixture();
    const sm = fixture.sm;
    const host = 'postgres://app:hunter2-in-a-url@db.example.com:5439/dev';

    const errors = [
      (() => { try { pgModule({ secretId: SECRET_ID, secretsManager: sm, connectionConfig: { host } }); } catch (e) { return e; } })(),
      (() => { try { getRedshiftPool({ secretId: SECRET_ID, secretsManager: sm, poolConfig: { host } }); } catch (e) { return e; } })(),
    ];

    for (const err of errors) {
      expect(err).toBeInstanceOf(InvalidOptionError);
      expect(String((err as Error).message)).toMatch(/"(connectionConfig|poolConfig)\.host"/);
      expect(String((err as Error).message)).not.toContain('hunter2');
    }
  });
});
