import { describe, expect, it } from 'vitest';
import { isAuthenticationError } from '../../../src/credentials/auth-errors.js';

/** Shaped like pg's DatabaseError: SQLSTATE in `code`. */
function pgError(code: string, message = 'password authentication failed for user "app"'): Error {
  return Object.assign(new Error(message), { name: 'error', code, severity: 'FATAL' });
}

/** Shaped like the MongoDB driver's MongoServerError. */
function mongoError(code: number, codeName: string): Error {
  return Object.assign(new Error('Authentication failed.'), { name: 'MongoServerError', code, codeName });
}

describe('isAuthenticationError', () => {
  it.each(['28P01', '28000'])('is true for PostgreSQL/Redshift SQLSTATE %s', (code) => {
    expect(isAuthenticationError(pgError(code))).toBe(true);
  });

  it('is true for 28P01 whatever the message says (lc_messages may translate it)', () => {
    expect(isAuthenticationError(pgError('28P01', 'Passwort-Authentifizierung für Benutzer »app« fehlgeschlagen'))).toBe(true);
  });

  it('is true for Redshift\'s wrong password: SQLSTATE 28000 from auth_failed', () => {
    // As the Redshift drivers' issue trackers quote it: {'S': 'FATAL', 'C': '28000', 'M': 'password authentication failed for user "..."', 'R': 'auth_failed'}
    const redshift = Object.assign(pgError('28000', 'password authentication failed for user "ag_readonly"'), { routine: 'auth_failed' });

    expect(isAuthenticationError(redshift)).toBe(true);
  });

  // Regression (issue 10, A7): every 28000 counted as a rejected password, so a pg_hba.conf
  // refusal spent the whole recovery budget and ended as "credentials rejected".
  it.each([
    ['a pg_hba.conf reject line', 'pg_hba.conf rejects connection for host "127.0.0.1", user "app", database "app", no encryption'],
    ['no pg_hba.conf entry (TLS required)', 'no pg_hba.conf entry for host "10.0.0.7", user "app", database "dev", no encryption'],
    ['Redshift\'s require_ssl refusal', 'no pg_hba.conf entry for host "::ffff:10.81.8.2", user "app", database "dev", SSL off'],
    ['a role without LOGIN', 'role "app" is not permitted to log in'],
    ['peer authentication', 'Peer authentication failed for user "app"'],
    ['certificate authentication', 'certificate authentication failed for user "app"'],
    ['the password phrase not at the start', 'no pg_hba.conf entry; password authentication failed for user "app"'],
  ])('is false for SQLSTATE 28000 that is not about the password: %s', (_case, message) => {
    expect(isAuthenticationError(pgError('28000', message))).toBe(false);
  });

  it('is true for MongoDB code 18 (AuthenticationFailed)', () => {
    expect(isAuthenticationError(mongoError(18, 'AuthenticationFailed'))).toBe(true);
  });

  it('is true for code 18 with codeName AuthenticationFailed on a non-Mongo-named error', () => {
    expect(isAuthenticationError({ name: 'Error', code: 18, codeName: 'AuthenticationFailed' })).toBe(true);
  });

  it('is true when the auth error is deep in the cause chain', () => {
    const root = pgError('28P01');
    const wrapped = new Error('pool failed to connect', { cause: new Error('connect failed', { cause: root }) });

    expect(isAuthenticationError(wrapped)).toBe(true);
  });

  it('is true when one of an AggregateError\'s errors is an auth error', () => {
    const aggregate = new AggregateError([new Error('ECONNREFUSED'), mongoError(18, 'AuthenticationFailed')], 'all hosts failed');

    expect(isAuthenticationError(new Error('wrapper', { cause: aggregate }))).toBe(true);
  });

  it.each([
    ['an auth message without a code', new Error('password authentication failed for user "app"')],
    ['MongoDB\'s message without code 18', new Error('Authentication failed.')],
    ['a MongoServerError with another code', mongoError(13, 'Unauthorized')],
    ['a bare { code: 18 } with no Mongo name or codeName', { code: 18 }],
    ['another SQLSTATE', pgError('53300', 'password authentication failed: too many connections')],
    ['a numeric 28000', { code: 28000 }],
    ['a network error', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
  ])('is false for %s', (_case, err) => {
    expect(isAuthenticationError(err)).toBe(false);
  });

  it.each([undefined, null, 'password authentication failed', 18, '28P01'])('is false for the non-object %s', (value) => {
    expect(isAuthenticationError(value)).toBe(false);
  });

  it('terminates on a cyclic cause chain', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;

    expect(isAuthenticationError(a)).toBe(false);
  });
});
