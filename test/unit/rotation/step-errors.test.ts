import { inspect } from 'node:util';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { KnownSecrets, toStepError } from '../../../src/rotation/step-errors.js';

const PASSWORD = `Pw'q\\z"%&=+/ok`;
const WHERE = { step: 'setSecret' as const, secretId: 'app/db', clientRequestToken: '00000000-0000-4000-8000-000000000000' };

/** Every way the tests below expect a message might carry PASSWORD. */
const QUOTED: Record<string, string> = {
  'as is': PASSWORD,
  "pg's escapeLiteral body": pg.escapeLiteral(PASSWORD).replace(/^ ?E?'/, '').slice(0, -1),
  'quotes doubled only': PASSWORD.replaceAll("'", "''"),
  'backslashes doubled only': PASSWORD.replaceAll('\\', '\\\\'),
  'a JSON string body': JSON.stringify(PASSWORD).slice(1, -1),
  'percent-encoded': encodeURIComponent(PASSWORD),
};

function knowing(value: string): KnownSecrets {
  const secrets = new KnownSecrets();
  secrets.add(value);
  return secrets;
}

describe('KnownSecrets', () => {
  it('holds a password with a quote and a backslash, whose quoted forms all differ from it', () => {
    expect(new Set(Object.values(QUOTED)).size).toBe(Object.keys(QUOTED).length);
  });

  it.each(Object.entries(QUOTED))('finds the password %s in a message', (_form, quoted) => {
    const text = `syntax error at or near "${quoted}" in ALTER ROLE`;

    expect(knowing(PASSWORD).leaksInto(text)).toBe(true);
  });

  it.each(Object.entries(QUOTED))('redacts the password %s without leaving a piece of it', (_form, quoted) => {
    const text = `before ${quoted} after`;

    expect(knowing(PASSWORD).redact(text)).toBe('before [redacted] after');
  });

  it('does not flag text that holds none of the forms', () => {
    expect(knowing(PASSWORD).leaksInto('password authentication failed for user "app"')).toBe(false);
  });
});

describe('toStepError', () => {
  it.each(Object.entries(QUOTED))('keeps the password %s out of the message, inspect and JSON of the error', (_form, quoted) => {
    const driverError = Object.assign(new Error(`invalid value "${quoted}"`), { code: '22023', detail: `value: ${quoted}` });

    const err = toStepError(driverError, WHERE, knowing(PASSWORD));

    const outputs = [err.message, inspect(err, { depth: 8 }), JSON.stringify(err), String(err.cause && inspect(err.cause))];
    for (const text of outputs) for (const form of Object.values(QUOTED)) expect(text).not.toContain(form);
    expect(err.message).toContain('[redacted]');
  });
});

describe('toStepError causes', () => {
  it('keeps a driver error that holds no known secret as the cause, unchanged', () => {
    const driverError = Object.assign(new Error('permission denied to alter role'), { code: '42501', detail: 'needs CREATEROLE', nested: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } } });

    expect(toStepError(driverError, WHERE, knowing(PASSWORD)).cause).toBe(driverError);
  });

  it('replaces a cause too large to look through, since what was not looked at may hold the password', () => {
    const wide = Object.assign(new Error('huge'), { items: Array.from({ length: 6_000 }, (_, i) => ({ i })) });

    const cause = toStepError(wide, WHERE, knowing(PASSWORD)).cause as Error;

    expect(cause).not.toBe(wide);
    expect(cause.name).toBe('RedactedError');
    expect(cause.message).toBe('Error: huge');
  });
});
