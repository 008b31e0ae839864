import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthenticationRejectedError, ClosedError } from '../../../src/errors.js';
import { getRedshiftClient } from '../../../src/redshift/index.js';
import { SecretCache } from '../../../src/cache/secret-cache.js';
import { Fixture, PASSWORD_2, SECRET_ID } from './support/fixtures.js';

let fixture: Fixture;

afterEach(async () => {
  await fixture?.close();
});

describe('getRedshiftClient', () => {
  it('returns a connected client logged in with the secret', async () => {
    fixture = await Fixture.start();

    const client = await getRedshiftClient({ secretId: SECRET_ID, secretsManager: fixture.sm });
    const { rows } = await client.query('select current_user');
    await client.end();

    expect(rows[0].current_user).toBe('app');
  });

  it('recovers with AWSPENDING when the database already wants it', async () => {
    fixture = await Fixture.start();
    await fixture.putPending({ password: PASSWORD_2 });
    fixture.db.users.set('app', PASSWORD_2);

    const client = await getRedshiftClient({ secretId: SECRET_ID, secretsManager: fixture.sm, onEvent: fixture.onEvent });
    await client.end();

    expect(fixture.db.logins.map((l) => l.accepted)).toEqual([false, true]);
    expect(inspect(client, { depth: 6 })).not.toContain(PASSWORD_2);
  });

  it('throws AuthenticationRejectedError after the budget and closes the cache it built', async () => {
    fixture = await Fixture.start();
    fixture.db.users.set('app', 'other');

    const err = await getRedshiftClient({ secretId: SECRET_ID, secretsManager: fixture.sm, recoveryBudgetMs: 200, onEvent: fixture.onEvent }).catch(
      (e: unknown) => e,
    );

    expect(err).toBeInstanceOf(AuthenticationRejectedError);
    expect(fixture.logins('rejected')).toBe(1);
  });

  it('ends idempotently, closing the cache it built but not one passed in', async () => {
    fixture = await Fixture.start();
    const cache = new SecretCache({ secretsManager: fixture.sm });
    const owned = await getRedshiftClient({ secretId: SECRET_ID, secretsManager: fixture.sm });
    const borrowed = await getRedshiftClient({ secretId: SECRET_ID, cache });

    await Promise.all([owned.end(), owned.end()]);
    await owned.close();
    await borrowed.end();

    await expect(owned.credentials.current()).rejects.toBeInstanceOf(ClosedError);
    await expect(cache.getSecretString(SECRET_ID)).resolves.toContain('app');
    await cache.close();
    await expect(cache.getSecretString(SECRET_ID)).rejects.toBeInstanceOf(ClosedError);
  });
});
